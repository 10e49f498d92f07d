/**
 * The report route's callbacks to the responder state machine's waiting Dispatch task (Step
 * Functions SendTaskHeartbeat/Success/Failure). It never follows AWS_ENDPOINT_URL, which points
 * cloud actions at target accounts.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { traced } from '#shared/observability/tracing.ts';
import { SfnTaskCallbacks, type TaskCallbacks } from '#shared/responders/task-callbacks.ts';

export function taskCallbacks(): TaskCallbacks {
  return new SfnTaskCallbacks(traced(new SFNClient({ ignoreConfiguredEndpointUrls: true })));
}
