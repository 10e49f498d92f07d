/** Starts cloud actions on their family's state machine. Environment: CLOUD_ACTION_STATE_MACHINES (`family=arn,...`). */
import { SFNClient } from '@aws-sdk/client-sfn';
import { parseStateMachineArns, SfnWorkStarter } from '#shared/adapters/sfn-work-starter.ts';
import type { Environment } from '#shared/config/config.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import type { WorkStarter } from '#shared/ports.ts';
import { traced } from '#shared/observability/tracing.ts';

export function cloudStarterFromEnv(env: Environment, repository: Pick<HistoryWriter, 'transition'>): WorkStarter {
  return new SfnWorkStarter({
    client: traced(new SFNClient({ ignoreConfiguredEndpointUrls: true })),
    stateMachineArns: parseStateMachineArns(env['CLOUD_ACTION_STATE_MACHINES']),
    repository,
  });
}
