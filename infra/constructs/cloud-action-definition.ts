import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shipped ASL of every cloud action state machine (one per family), relative to the repository root. */
export const cloudActionAslFile = 'state-machines/cloud-action.asl.json';

/** Absolute path of {@link cloudActionAslFile}. */
export const cloudActionAslPath = join(import.meta.dirname, '..', '..', cloudActionAslFile);

/** The `${...}` names the ASL expects in its DefinitionSubstitutions. */
export const cloudActionSubstitutionNames = ['Partition', 'MarkStatusFunctionArn', 'ActionFunctionArn'] as const;
export type CloudActionSubstitutionName = (typeof cloudActionSubstitutionNames)[number];

/**
 * The shipped ASL as deployed: the file's JSON with a top-level `TimeoutSeconds` (the completion
 * deadline), so an execution that is still running then ends as TIMED_OUT and an EventBridge rule
 * ends its record in Error. Nothing else changes: `${...}` placeholders stay for
 * DefinitionSubstitutions, and the tests compare the deployed string with the file.
 *
 * @param timeoutSeconds the completion deadline (`completionDeadlineSeconds`)
 * @returns the definition string for `DefinitionBody.fromString`
 */
export function cloudActionDefinition(timeoutSeconds: number): string {
  const shipped: unknown = JSON.parse(readFileSync(cloudActionAslPath, 'utf8'));
  if (typeof shipped !== 'object' || shipped === null || Array.isArray(shipped)) {
    throw new TypeError(`${cloudActionAslFile} is not a JSON object`);
  }
  const text = JSON.stringify({ ...shipped, TimeoutSeconds: timeoutSeconds });
  const unknownPlaceholder = [...text.matchAll(/\$\{([^}]+)\}/g)]
    .map((match) => match[1] ?? '')
    .find((name) => !(cloudActionSubstitutionNames as readonly string[]).includes(name));
  if (unknownPlaceholder !== undefined) {
    throw new Error(`${cloudActionAslFile} uses \${${unknownPlaceholder}}, which the CDK app does not substitute`);
  }
  return text;
}
