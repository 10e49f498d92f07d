import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { rulesSha256Variable } from '#shared/automation/rule-set.ts';
import { grantAssumeRoles } from './grant-assume-roles.ts';
import type { ServiceFunction } from './service-function.ts';
import { shippedFilePath, type ShippedFile } from './shipped-file.ts';

/** Environment variable mapping each cloud action family to the function that plans its actions (JSON `{ family: name }`). */
const CLOUD_PLAN_FUNCTIONS_ENV = 'CLOUD_PLAN_FUNCTIONS';
/** Environment variable naming the automation rules file (a path in the function's bundle). */
const AUTOMATION_RULES_ENV = 'AUTOMATION_RULES';
/** Environment variables of approvals: the patterns that require one, and how long one waits. */
const APPROVAL_REQUIRED_ENV = 'APPROVAL_REQUIRED';
const APPROVAL_TTL_SECONDS_ENV = 'APPROVAL_TTL_SECONDS';

/** What the `cloud-plans`, `exemptions` and `automation-rules` needs give a function, and the approval settings. */
export interface AutomationRouteResources {
  /** Family name → its step function, which plans its actions when invoked with `{ plan }`. */
  readonly planFunctions: Readonly<Record<string, IFunction>>;
  /** TARGET_ACCOUNTS, MEMBER_ROLE_NAME, MEMBER_ROLE_EXTERNAL_ID, PROTECTED_TARGETS, as the families get them. */
  readonly memberEnvironment: Readonly<Record<string, string>>;
  /** `arn:...:role/<memberRoleName>-exemptions` in each account exemptions may be read in (`*` for any). */
  readonly exemptionsRoleArns: readonly string[];
  /** Path of the roles the member accounts' exemptions role trusts: every function with the need gets it. */
  readonly exemptionsRolePath: string;
  /** The rules file shipped in the bundle of a function with `automation-rules`; undefined: the default set. */
  readonly rules: ShippedFile | undefined;
  /** APPROVAL_REQUIRED and APPROVAL_TTL_SECONDS, for every function that starts work (it may be gated). */
  readonly approvals: { readonly required: string; readonly ttlSeconds: number };
}

function setMemberEnvironment(fn: ServiceFunction, automation: AutomationRouteResources): void {
  for (const [name, value] of Object.entries(automation.memberEnvironment)) fn.addEnvironment(name, value);
}

/** APPROVAL_REQUIRED (when any pattern is set) and APPROVAL_TTL_SECONDS. */
export function setApprovalEnvironment(fn: ServiceFunction, automation: AutomationRouteResources): void {
  if (automation.approvals.required !== '') fn.addEnvironment(APPROVAL_REQUIRED_ENV, automation.approvals.required);
  fn.addEnvironment(APPROVAL_TTL_SECONDS_ENV, String(automation.approvals.ttlSeconds));
}

/**
 * `cloud-plans`: lambda:InvokeFunction on exactly the family functions (which plan when invoked with
 * `{ plan }`), CLOUD_PLAN_FUNCTIONS naming them, and the guards' settings the planner checks first.
 */
export function grantCloudPlans(fn: ServiceFunction, automation: AutomationRouteResources): void {
  const families = Object.entries(automation.planFunctions);
  if (families.length === 0) return;
  const names = Object.fromEntries(families.map(([family, planner]) => [family, planner.functionName]));
  fn.addEnvironment(CLOUD_PLAN_FUNCTIONS_ENV, Stack.of(fn).toJsonString(names));
  fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: families.map(([, planner]) => planner.functionArn) }));
  setMemberEnvironment(fn, automation);
}

/**
 * `exemptions`: sts:AssumeRole on the exemptions member role only (tag reads, nothing else), which
 * trusts the exemptions role path only: the function must have been created on it.
 *
 * @throws Error when the function's role is not on the exemptions path
 */
export function grantExemptions(fn: ServiceFunction, automation: AutomationRouteResources): void {
  if (fn.rolePath !== automation.exemptionsRolePath) {
    throw new Error(`${fn.node.path} needs exemptions but its role is not on ${automation.exemptionsRolePath}: create it with ServiceApi.functionPropsFor`);
  }
  grantAssumeRoles(
    fn,
    automation.exemptionsRoleArns,
    'The account of a finding\'s target is only known per finding, checked against TARGET_ACCOUNTS before any call; with targetAccounts "*" or unset it cannot be named at deploy time. The role is the exemptions member role only, which may read tags and nothing else, trusts only this role\'s path and demands the external id.',
  );
  setMemberEnvironment(fn, automation);
}

/**
 * `automation-rules`: AUTOMATION_RULES names the shipped file (JSON) and AUTOMATION_RULES_SHA256 gives
 * the digest of the operator's file, which GET /v1/automation-rules reports; without one the default set applies.
 */
export function shipAutomationRules(fn: ServiceFunction, automation: AutomationRouteResources): void {
  if (automation.rules === undefined) return;
  fn.addEnvironment(AUTOMATION_RULES_ENV, shippedFilePath(automation.rules));
  fn.addEnvironment(rulesSha256Variable, automation.rules.sha256);
}
