import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { ServiceFunction } from './service-function.ts';

/** Environment variable mapping each cloud action family to its state machine (`family=arn,...`). */
const CLOUD_ACTION_STATE_MACHINES_ENV = 'CLOUD_ACTION_STATE_MACHINES';
/** Environment variable naming the responder state machine (host and Kubernetes actions). */
const RESPONDER_STATE_MACHINE_ARN_ENV = 'RESPONDER_STATE_MACHINE_ARN';
/** Environment variables of the responder deadlines, which the starter puts in each execution's input. */
const PICKUP_DEADLINE_SECONDS_ENV = 'PICKUP_DEADLINE_SECONDS';
const COMPLETION_DEADLINE_SECONDS_ENV = 'COMPLETION_DEADLINE_SECONDS';

/** The state machines actions run on: what a function that creates actions may start. */
export interface ActionStateMachines {
  /** Family name → its state machine. */
  readonly families: Readonly<Record<string, IStateMachine>>;
  /** The responder state machine (host and Kubernetes actions). */
  readonly responder: IStateMachine;
  /** The deadlines the starter puts in each responder execution's input. */
  readonly deadlines: { readonly pickupSeconds: number; readonly completionSeconds: number };
}

/**
 * `states:StartExecution` on exactly the family state machines (`CLOUD_ACTION_STATE_MACHINES`) and
 * the responder state machine (`RESPONDER_STATE_MACHINE_ARN`, `PICKUP_DEADLINE_SECONDS`,
 * `COMPLETION_DEADLINE_SECONDS`): cloud actions start their family's machine, host and Kubernetes
 * actions the responder's. For the routes that create actions and for the playbook step function.
 */
export function grantStartActions(fn: ServiceFunction, machines: ActionStateMachines): void {
  const families = Object.entries(machines.families);
  if (families.length > 0) {
    fn.addEnvironment(CLOUD_ACTION_STATE_MACHINES_ENV, families.map(([family, machine]) => `${family}=${machine.stateMachineArn}`).join(','));
  }
  fn.addEnvironment(RESPONDER_STATE_MACHINE_ARN_ENV, machines.responder.stateMachineArn);
  fn.addEnvironment(PICKUP_DEADLINE_SECONDS_ENV, String(machines.deadlines.pickupSeconds));
  fn.addEnvironment(COMPLETION_DEADLINE_SECONDS_ENV, String(machines.deadlines.completionSeconds));
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['states:StartExecution'],
      resources: [...families.map(([, machine]) => machine.stateMachineArn), machines.responder.stateMachineArn],
    }),
  );
}
