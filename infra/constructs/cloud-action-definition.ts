import { shippedAslDefinition, shippedAslPath } from './asl-definition.ts';

/** The shipped ASL of every cloud action state machine (one per family), relative to the repository root. */
export const cloudActionAslFile = 'state-machines/cloud-action.asl.json';

/** Absolute path of {@link cloudActionAslFile}. */
export const cloudActionAslPath = shippedAslPath(cloudActionAslFile);

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
  return shippedAslDefinition(cloudActionAslFile, cloudActionSubstitutionNames, { TimeoutSeconds: timeoutSeconds });
}
