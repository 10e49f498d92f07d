import type { ActionType, Category, Effect, Playbook, RunStatus } from '../../api/types.ts';
import { execRefusal } from '../../auth/scopes.ts';

/** A playbook as `GET /v1/playbooks` lists it; the service also says each step's effect and conditions. */
export interface ListedPlaybook extends Playbook {
  readonly steps: readonly (Playbook['steps'][number] & { readonly effect?: Effect; readonly when?: readonly string[] })[];
}

export const runStatuses: readonly RunStatus[] = ['Created', 'Running', 'Completed', 'Error'];

export const isFinished = (status: RunStatus): boolean => status === 'Completed' || status === 'Error';

/** The categories of the action types `types` (from `GET /v1/action-types`); an unknown type adds none. */
function categoriesOf(types: readonly string[], catalogue: readonly ActionType[]): Category[] {
  const categories = new Set<Category>();
  for (const type of types) {
    const found = catalogue.find((candidate) => candidate.type === type);
    if (found !== undefined) categories.add(found.category);
  }
  return [...categories].sort();
}

/**
 * Why this person may not run (or undo) a run of these step types: API.md asks for the exec
 * scope of every category the steps use. Null when they may; a sentence while the catalogue loads.
 */
export function runRefusal(types: readonly string[], catalogue: readonly ActionType[] | undefined, scopes: ReadonlySet<string>): string | null {
  if (catalogue === undefined) return 'Reading the action types the steps use…';
  for (const category of categoriesOf(types, catalogue)) {
    const refusal = execRefusal(scopes, category);
    if (refusal !== null) return refusal;
  }
  return null;
}
