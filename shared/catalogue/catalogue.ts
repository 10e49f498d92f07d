/**
 * The catalogue: every action type of API.md's table, in the table's order, as data,
 * with the lookups the service needs (by type, undo pairs) and the public description
 * `GET /v1/action-types` answers with.
 */
import * as z from 'zod';
import {
  cloudVolumeSnapshot,
  deactivateAccessKeys,
  detachInstanceProfile,
  fetchCloudLogs,
  iamQuarantine,
  iamUnquarantine,
  isolateEc2Instance,
  makeCloudResourcePrivate,
  reactivateAccessKeys,
  restoreIamRoleSessions,
  restoreInstanceProfile,
  revokeIamRoleSessions,
  undoCloudVolumeSnapshot,
  undoMakeCloudResourcePrivate,
  unisolateEc2Instance,
} from './cloud-actions.ts';
import { getLogs } from './get-logs.ts';
import {
  acquireFile,
  captureProcessState,
  fileQuarantine,
  fileUnquarantine,
  killContainer,
  killProcess,
  pauseContainer,
  startContainer,
  stopContainer,
  unpauseContainer,
} from './host-actions.ts';
import {
  capturePodState,
  cordonNode,
  deleteNetworkPolicy,
  deletePod,
  isolateNetwork,
  kubernetesDeleteVolumeSnapshot,
  kubernetesVolumeSnapshot,
  restoreWorkloadScale,
  rolloutRestart,
  scaleWorkload,
  uncordonNode,
} from './kubernetes-actions.ts';
import type { ActionTypeDefinition, Category, Effect, Executor } from './types.ts';

/** Every action type, in API.md's order. */
export const actionTypes: readonly ActionTypeDefinition[] = [
  killProcess,
  killContainer,
  stopContainer,
  startContainer,
  pauseContainer,
  unpauseContainer,
  deletePod,
  isolateNetwork,
  deleteNetworkPolicy,
  fileQuarantine,
  fileUnquarantine,
  iamQuarantine,
  iamUnquarantine,
  makeCloudResourcePrivate,
  undoMakeCloudResourcePrivate,
  getLogs,
  acquireFile,
  fetchCloudLogs,
  kubernetesVolumeSnapshot,
  kubernetesDeleteVolumeSnapshot,
  cloudVolumeSnapshot,
  undoCloudVolumeSnapshot,
  rolloutRestart,
  isolateEc2Instance,
  unisolateEc2Instance,
  revokeIamRoleSessions,
  restoreIamRoleSessions,
  deactivateAccessKeys,
  reactivateAccessKeys,
  scaleWorkload,
  restoreWorkloadScale,
  capturePodState,
  captureProcessState,
  detachInstanceProfile,
  restoreInstanceProfile,
  cordonNode,
  uncordonNode,
];

const byType = new Map(actionTypes.map((definition) => [definition.type, definition]));
const undoTargets = new Map(
  actionTypes.flatMap((definition) => (definition.undoType === null ? [] : [[definition.undoType, definition.type] as const])),
);

/** The definition of `type`, or undefined when the catalogue has no such type. */
export function findActionType(type: string): ActionTypeDefinition | undefined {
  return byType.get(type);
}

/** The undo type that reverses `type` (`iam-quarantine` → `iam-unquarantine`), or null. */
export function undoneBy(type: string): string | null {
  return byType.get(type)?.undoType ?? null;
}

/** The type `undoType` reverses (`iam-unquarantine` → `iam-quarantine`), or null when it is no undo type. */
export function undoTargetOf(undoType: string): string | null {
  return undoTargets.get(undoType) ?? null;
}

/** True for a type that exists only to reverse another (create requests for it undo the newest action of the pair). */
export function isUndoType(type: string): boolean {
  return undoTargets.has(type);
}

/** The input names an action type accepts, in the table's order. */
export function inputNamesOf(definition: ActionTypeDefinition): readonly string[] {
  return definition.inputs instanceof z.ZodObject ? Object.keys(definition.inputs.shape) : [];
}

/** One entry of `GET /v1/action-types`. */
export interface ActionTypeDescription {
  readonly type: string;
  readonly title: string;
  readonly description: string;
  readonly category: Category;
  readonly executors: readonly Executor[];
  readonly undoType: string | null;
  readonly effect: Effect;
  /** JSON Schema (draft 2020-12) of the inputs object, as a client posts it. */
  readonly inputs: z.core.JSONSchema.BaseSchema;
}

/** The body of `GET /v1/action-types`: the catalogue with each type's inputs as JSON Schema. */
export function describeCatalogue(): ActionTypeDescription[] {
  return actionTypes.map((definition) => ({
    type: definition.type,
    title: definition.title,
    description: definition.description,
    category: definition.category,
    executors: [...definition.executors],
    undoType: definition.undoType,
    effect: definition.effect,
    // io 'input': defaulted inputs (replicas) are optional to the caller; refinements have no JSON Schema form.
    inputs: z.toJSONSchema(definition.inputs, { io: 'input', unrepresentable: 'any' }),
  }));
}
