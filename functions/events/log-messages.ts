/**
 * What the EventBridge target logs (at warn) for an event it refuses for good; the service stack
 * counts these lines into a metric and alarms on it, so a refused event is never silent.
 */
export const refusedEventMessage = 'a finding event was refused and will not be retried';
