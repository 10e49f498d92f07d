import { createRequire } from 'node:module';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { lambdaEntry } from '#shared/observability/entry.ts';
import { traced } from '#shared/observability/tracing.ts';

const loadedModules = createRequire(import.meta.url).cache;

function middlewareOf(client: S3Client): string[] {
  return client.middlewareStack.identify();
}

describe('tracing outside Lambda (the local runtime, tests, the CDK app)', () => {
  it('hands a client back untouched and loads neither Powertools nor the X-Ray SDK', async () => {
    // Prepare
    const plain = new S3Client({ region: 'us-east-1' });
    const stack = middlewareOf(plain);
    let built: S3Client | undefined;
    const handler = lambdaEntry(() => {
      built = traced(new S3Client({ region: 'us-east-1' }));
      return (event: { readonly n: number }) => Promise.resolve(event.n + 1);
    });

    // Act
    const answer = await handler({ n: 41 }, {} as never);
    const same = traced(plain);

    // Assess
    expect(answer).toBe(42);
    expect(same).toBe(plain);
    expect(middlewareOf(same)).toEqual(stack);
    expect(built === undefined ? [] : middlewareOf(built)).toEqual(stack);
    expect(Object.keys(loadedModules).filter((path) => /aws-xray-sdk-core|@aws-lambda-powertools/.test(path))).toEqual([]);
  });
});
