import { shippedAslDefinition, shippedAslPath } from './asl-definition.ts';

/** The shipped ASL of the responder state machine (host and Kubernetes actions), relative to the repository root. */
export const responderActionAslFile = 'state-machines/responder-action.asl.json';

/** Absolute path of {@link responderActionAslFile}. */
export const responderActionAslPath = shippedAslPath(responderActionAslFile);

/** The `${...}` names the ASL expects in its DefinitionSubstitutions. */
export const responderActionSubstitutionNames = ['Partition', 'DispatchFunctionArn', 'MarkStatusFunctionArn'] as const;
export type ResponderActionSubstitutionName = (typeof responderActionSubstitutionNames)[number];

/**
 * The shipped ASL exactly as it is (compacted): the deadlines arrive with each execution's input
 * (`HeartbeatSecondsPath` is the pickup deadline, `TimeoutSecondsPath` the completion deadline,
 * both from the functions that start work), so the deployment adds nothing. `${...}`
 * placeholders stay for DefinitionSubstitutions; the tests compare the deployed string with the file.
 *
 * @returns the definition string for `DefinitionBody.fromString`
 */
export function responderActionDefinition(): string {
  return shippedAslDefinition(responderActionAslFile, responderActionSubstitutionNames);
}
