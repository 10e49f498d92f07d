/**
 * Starts host and Kubernetes actions on the responder state machine. Environment:
 * RESPONDER_STATE_MACHINE_ARN (without it, those actions end in Error NoExecutor, saying so)
 * and the deadline variables.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import type { WorkStarter } from '#shared/ports.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { SfnResponderWorkStarter } from '#shared/responders/starter.ts';
import { traced } from '#shared/observability/tracing.ts';

export function responderStartersFromEnv(env: Environment): Partial<Record<'host' | 'kubernetes', WorkStarter>> {
  const { stateMachineArn } = loadResponderConfig(env);
  if (stateMachineArn === undefined) return {};
  const starter = new SfnResponderWorkStarter({
    client: traced(new SFNClient({ ignoreConfiguredEndpointUrls: true })),
    stateMachineArn,
    deadlines: loadConfig(env).deadlines,
  });
  return { host: starter, kubernetes: starter };
}
