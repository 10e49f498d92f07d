/**
 * The one place an AWS SDK client is captured for X-Ray: every SDK client constructed in shared/
 * and functions/ is wrapped in {@link traced} (test/unit/observability/client-sites.test.ts holds
 * that), so each call becomes an X-Ray subsegment in Lambda.
 *
 * This module imports nothing of Powertools: until a Lambda entry point installs the tracer
 * (shared/observability/lambda.ts), `traced` hands the client back untouched, so the local
 * runtime, tests and the CDK app neither load the X-Ray SDK nor pay for it.
 */
type CaptureClient = <Client extends object>(client: Client) => Client;

const untouched: CaptureClient = (client) => client;
let capture: CaptureClient = untouched;

/** The client, captured by the installed tracer (Powertools' `captureAWSv3Client` in Lambda). */
export function traced<Client extends object>(client: Client): Client {
  return capture(client);
}

/**
 * Captures every client built from now on with `next`. Clients are built on a function's first
 * invocation (deps factories, per-region caches), after the entry point installed its tracer.
 */
export function traceClientsWith(next: CaptureClient): void {
  capture = next;
}
