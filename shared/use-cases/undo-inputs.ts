import { findActionType, inputNamesOf, type ActionInputs } from '#shared/catalogue/index.ts';
import { undoCloudVolumeSnapshotInputs } from '#shared/actions/snapshot-records.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { ConflictError } from '#shared/errors.ts';
import { isolationApplied, snapshotsApplied, storedReportProblems } from '#shared/responders/report-schemas/index.ts';

/**
 * Inputs of an undo, derived from the action it undoes. By default the undo takes the
 * original's inputs that it accepts (the same ARN, host, container, path...); a family whose
 * undo needs what the original created (snapshot ids, a policy's name) has a derivation below.
 */
export type UndoInputDerivation = (original: ActionRecord) => ActionInputs;

const cluster = 'kubernetes.cluster.name';
const namespace = 'kubernetes.namespace.name';

// What isolate-network and kubernetes-volume-snapshot record as applied is read with the same
// strict schemas their reports had to meet (shared/responders/report-schemas).
function networkPolicyNameOf(original: ActionRecord): string | undefined {
  const parsed = isolationApplied.safeParse(original.applied);
  return parsed.success ? parsed.data.policies.find((policy) => policy.kind === 'NetworkPolicy')?.name : undefined;
}

function volumeSnapshotNamesOf(original: ActionRecord): string[] {
  const parsed = snapshotsApplied.safeParse(original.applied);
  return parsed.success ? parsed.data.snapshots.map((snapshot) => snapshot.name) : [];
}

/** Undo types whose inputs come from what the original created, not from its inputs. */
const derivations: ReadonlyMap<string, UndoInputDerivation> = new Map([
  ['undo-cloud-volume-snapshot', undoCloudVolumeSnapshotInputs],
  [
    'delete-network-policy',
    (original: ActionRecord): ActionInputs => {
      const name = networkPolicyNameOf(original);
      return {
        [cluster]: original.inputs[cluster],
        [namespace]: original.inputs[namespace],
        ...(name === undefined ? {} : { 'kubernetes.networkpolicy.name': name }),
      };
    },
  ],
  [
    'kubernetes-delete-volume-snapshot',
    (original: ActionRecord): ActionInputs => {
      const names = volumeSnapshotNamesOf(original);
      return {
        [cluster]: original.inputs[cluster],
        [namespace]: original.inputs[namespace],
        ...(names.length === 0 ? {} : { 'kubernetes.volumesnapshot.name': names.length === 1 ? names[0] : names }),
      };
    },
  ],
]);

/**
 * The inputs of `undoType` reversing `original`. A responder action's stored prior, applied and
 * result are checked again with its report schemas first: a record written before the schemas
 * existed, or changed since, must not steer an undo (409 naming the field, nothing written).
 */
export function undoInputsFor(undoType: string, original: ActionRecord): ActionInputs {
  if (original.executor === 'host' || original.executor === 'kubernetes') {
    const problems = storedReportProblems(original);
    if (problems.length > 0) {
      throw new ConflictError(
        `action ${original.id} cannot be undone: what its responder recorded is not a ${original.type} report (${problems.map((error) => `${error.path}: ${error.message}`).join('; ')})`,
        { errors: problems },
      );
    }
  }
  const derive = derivations.get(undoType);
  if (derive !== undefined) return derive(original);
  const definition = findActionType(undoType);
  if (definition === undefined) return {};
  const accepted = new Set(inputNamesOf(definition));
  return Object.fromEntries(Object.entries(original.inputs).filter(([name]) => accepted.has(name)));
}

/**
 * For undo types keyed on what the original created (a policy, snapshots) rather than on the
 * original's own resource: whether `original` is the action a directly posted undo with these
 * inputs means. Undefined for undo types found by resource key alone.
 */
export function undoTargetMatcher(undoType: string, inputs: ActionInputs): ((original: ActionRecord) => boolean) | undefined {
  const sameNamespace = (original: ActionRecord): boolean =>
    original.inputs[cluster] === inputs[cluster] && original.inputs[namespace] === inputs[namespace];
  if (undoType === 'delete-network-policy') {
    return (original) => sameNamespace(original) && networkPolicyNameOf(original) === inputs['kubernetes.networkpolicy.name'];
  }
  if (undoType === 'kubernetes-delete-volume-snapshot') {
    const requested = inputs['kubernetes.volumesnapshot.name'];
    const wanted = new Set(Array.isArray(requested) ? requested.map(String) : [String(requested)]);
    return (original) => sameNamespace(original) && volumeSnapshotNamesOf(original).some((name) => wanted.has(name));
  }
  return undefined;
}
