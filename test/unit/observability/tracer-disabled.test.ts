import { S3Client } from '@aws-sdk/client-s3';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllEnvs();
});

/** Middleware names the X-Ray SDK adds when it captures a client. */
function xrayMiddleware(client: S3Client): string[] {
  return client.middlewareStack.identify().filter((name) => name.startsWith('XRaySDK'));
}

describe('Powertools Tracer switches itself off where it has nothing to send to', () => {
  it('outside Lambda (no AWS_EXECUTION_ENV): captureAWSv3Client adds nothing', () => {
    // Prepare
    vi.stubEnv('AWS_EXECUTION_ENV', undefined);
    const tracer = new Tracer({ serviceName: 'response-actions' });

    // Act
    const client = tracer.captureAWSv3Client(new S3Client({ region: 'us-east-1' }));

    // Assess
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(xrayMiddleware(client)).toEqual([]);
  });

  it('in Lambda with POWERTOOLS_TRACE_ENABLED=false: captureAWSv3Client adds nothing', () => {
    // Prepare
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
    const tracer = new Tracer({ serviceName: 'response-actions' });

    // Act
    const client = tracer.captureAWSv3Client(new S3Client({ region: 'us-east-1' }));

    // Assess
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(xrayMiddleware(client)).toEqual([]);
  });
});
