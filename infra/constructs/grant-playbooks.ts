import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { playbooksSha256Variable } from '#shared/playbooks/definitions/index.ts';
import type { ServiceFunction } from './service-function.ts';
import { shippedFilePath, type ShippedFile } from './shipped-file.ts';

/** Environment variable naming the PLAYBOOKS file (a path in the function's bundle). */
const PLAYBOOKS_ENV = 'PLAYBOOKS';
const PLAYBOOK_RUN_DEADLINE_SECONDS_ENV = 'PLAYBOOK_RUN_DEADLINE_SECONDS';
/** Environment variable naming the playbook state machine, which starts a run. */
const PLAYBOOK_STATE_MACHINE_ARN_ENV = 'PLAYBOOK_STATE_MACHINE_ARN';

/** What the `playbooks` and `playbook-runs` needs give a function. */
export interface PlaybookRouteResources {
  /** The playbook state machine (one execution per run). */
  readonly stateMachine: IStateMachine;
  /** The PLAYBOOKS file shipped in the bundle; undefined: the built-in playbooks only. */
  readonly file: ShippedFile | undefined;
  /** PLAYBOOK_RUN_DEADLINE_SECONDS */
  readonly runDeadlineSeconds: number;
}

/**
 * `playbooks`: the playbooks in force, PLAYBOOKS naming the shipped file (JSON) and PLAYBOOKS_SHA256
 * the digest of the operator's file (without one, the built-ins only), and the run deadline. Also given with `automation-rules`: rules may name a playbook, and
 * the rules are checked against the playbooks in force.
 */
export function shipPlaybooks(fn: ServiceFunction, playbooks: PlaybookRouteResources): void {
  if (playbooks.file !== undefined) {
    fn.addEnvironment(PLAYBOOKS_ENV, shippedFilePath(playbooks.file));
    fn.addEnvironment(playbooksSha256Variable, playbooks.file.sha256);
  }
  fn.addEnvironment(PLAYBOOK_RUN_DEADLINE_SECONDS_ENV, String(playbooks.runDeadlineSeconds));
}

/**
 * `playbook-runs`: `states:StartExecution` on the playbook state machine only
 * (PLAYBOOK_STATE_MACHINE_ARN). The steps' actions are started by the playbook step function, not here.
 */
export function grantPlaybookRuns(fn: ServiceFunction, playbooks: PlaybookRouteResources): void {
  fn.addEnvironment(PLAYBOOK_STATE_MACHINE_ARN_ENV, playbooks.stateMachine.stateMachineArn);
  fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [playbooks.stateMachine.stateMachineArn] }));
}
