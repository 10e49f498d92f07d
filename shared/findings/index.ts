/** Findings in: bodies from GuardDuty, Security Hub and Falco normalised to one shape, and rules' type globs. */
export { normaliseEvent } from './normalise-event.ts';
export { normaliseGuardDutyFinding } from './normalise-guardduty.ts';
export { normaliseAsffFinding, controlIdPattern } from './normalise-asff.ts';
export { normaliseOcsfFinding } from './normalise-ocsf.ts';
export { normaliseFalcoAlert } from './normalise-falco.ts';
export { InvalidFindingError } from './invalid-finding-error.ts';
export { compileTypeGlob, matchesAnyType, matchesTypeGlob, maxTypeGlobLength, maxTypeGlobStars, typeGlobProblem } from './type-glob.ts';
export { asffLabelSeverity, asffNormalizedSeverity, falcoSeverity, guardDutySeverity, ocsfSeverity } from './severity.ts';
export { bodyLimitError, defaultBodyLimits } from './body-limits.ts';
export type { BodyLimits } from './body-limits.ts';
export {
  acceptedDetailTypes,
  guardDutyFindingDetailType,
  securityHubCustomActionDetailType,
  securityHubImportedDetailType,
  securityHubImportedV2DetailType,
} from './eventbridge-schema.ts';
export { ocsfFindingClasses } from './ocsf-schema.ts';
export { findingSources, resourceRoles, severities } from './types.ts';
export type { FindingInputs, FindingResource, FindingSource, NormalisedEvent, NormalisedFinding, ResourceRole, Severity, WorkflowState } from './types.ts';
