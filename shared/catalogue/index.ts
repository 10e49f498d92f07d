/** The action catalogue: every action type as data, and validation of create requests against it. */
export { actionTypes, describeCatalogue, findActionType, inputNamesOf, isUndoType, undoneBy, undoTargetOf } from './catalogue.ts';
export type { ActionTypeDescription } from './catalogue.ts';
export { validateActionRequest, CatalogueDefectError } from './validate.ts';
export type { ActionRequestValidation, InvalidActionRequest, ValidActionRequest } from './validate.ts';
export { parseArn, partitions } from './arn.ts';
export type { Arn, AwsResourceKind, Partition } from './arn.ts';
export { UnvalidatedInputsError } from './read-inputs.ts';
export type { KubernetesKind } from './resource-keys.ts';
export { categories, effects, executors } from './types.ts';
export type { ActionInputs, ActionTypeDefinition, Category, Effect, Executor, FieldError, ResourceRef, ValidationContext } from './types.ts';
