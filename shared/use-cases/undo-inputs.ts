import { findActionType, inputNamesOf, type ActionInputs } from '#shared/catalogue/index.ts';
import { undoCloudVolumeSnapshotInputs } from '#shared/actions/snapshot-records.ts';
import type { ActionRecord } from '#shared/history/record.ts';

/**
 * Inputs of an undo, derived from the action it undoes. By default the undo takes the
 * original's inputs that it accepts (the same ARN, host, container, path...); a family whose
 * undo needs what the original created (snapshot ids, a policy's name) has a derivation below.
 */
export type UndoInputDerivation = (original: ActionRecord) => ActionInputs;

/** Undo types whose inputs come from what the original created, not from its inputs. */
const derivations: ReadonlyMap<string, UndoInputDerivation> = new Map([
  ['undo-cloud-volume-snapshot', undoCloudVolumeSnapshotInputs],
]);

export function undoInputsFor(undoType: string, original: ActionRecord): ActionInputs {
  const derive = derivations.get(undoType);
  if (derive !== undefined) return derive(original);
  const definition = findActionType(undoType);
  if (definition === undefined) return {};
  const accepted = new Set(inputNamesOf(definition));
  return Object.fromEntries(Object.entries(original.inputs).filter(([name]) => accepted.has(name)));
}
