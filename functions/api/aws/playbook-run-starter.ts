/** Starts playbook runs on the playbook state machine. Environment: PLAYBOOK_STATE_MACHINE_ARN (the `playbook-runs` need). */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnRunStarter } from '#shared/adapters/sfn-run-starter.ts';
import type { Environment } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { traced } from '#shared/observability/tracing.ts';
import type { RunStarter } from '#shared/playbooks/types.ts';

export function playbookRunStarterFromEnv(env: Environment): RunStarter {
  const stateMachineArn = env['PLAYBOOK_STATE_MACHINE_ARN'];
  if (stateMachineArn === undefined || stateMachineArn.trim() === '') throw new ConfigError('PLAYBOOK_STATE_MACHINE_ARN', 'is required but not set');
  // The service's own state machine: never AWS_ENDPOINT_URL, which points at target accounts.
  return new SfnRunStarter({ client: traced(new SFNClient({ ignoreConfiguredEndpointUrls: true })), stateMachineArn: stateMachineArn.trim() });
}
