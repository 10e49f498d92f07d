import { shippedAslDefinition, shippedAslPath } from './asl-definition.ts';

/** The shipped ASL of the playbook state machine (one execution per run), relative to the repository root. */
export const playbookRunAslFile = 'state-machines/playbook-run.asl.json';

/** Absolute path of {@link playbookRunAslFile}. */
export const playbookRunAslPath = shippedAslPath(playbookRunAslFile);

/** The `${...}` names the ASL expects in its DefinitionSubstitutions. */
export const playbookRunSubstitutionNames = ['Partition', 'PlaybookStepFunctionArn'] as const;
export type PlaybookRunSubstitutionName = (typeof playbookRunSubstitutionNames)[number];

/**
 * The shipped ASL as deployed: the file's JSON with a top-level `TimeoutSeconds`, a backstop
 * beyond the run deadline (which Advance enforces itself, ending the run in Error), so an
 * execution whose advance is stuck still ends, as TIMED_OUT, and its alarm fires.
 *
 * @param timeoutSeconds the execution timeout (longer than `playbookRunDeadlineSeconds`)
 * @returns the definition string for `DefinitionBody.fromString`
 */
export function playbookRunDefinition(timeoutSeconds: number): string {
  return shippedAslDefinition(playbookRunAslFile, playbookRunSubstitutionNames, { TimeoutSeconds: timeoutSeconds });
}
