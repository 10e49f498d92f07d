import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '#infra/bundling/lambda-credential-provider.ts';

/*
 * The credential chain deployed bundles use in place of the SDK's default chain: the environment
 * (how Lambda hands a function its role's credentials), then the container credentials endpoint.
 * The endpoint here is a real HTTP server on loopback answering as Lambda's and ECS's do.
 */

const variables = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
] as const;
let saved: Partial<Record<(typeof variables)[number], string>>;

beforeEach(() => {
  saved = {};
  for (const name of variables) {
    const value = process.env[name];
    if (value !== undefined) saved[name] = value;
    Reflect.deleteProperty(process.env, name);
  }
});
afterEach(() => {
  for (const name of variables) {
    const value = saved[name];
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
});

describe('the Lambda credential chain of deployed bundles', () => {
  it("takes the function role's credentials from the environment, as Lambda sets them", async () => {
    // Prepare
    process.env['AWS_ACCESS_KEY_ID'] = 'ASIALAMBDAENVKEY0001';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'lambdaEnvSecret';
    process.env['AWS_SESSION_TOKEN'] = 'lambdaEnvSessionToken';

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({ accessKeyId: 'ASIALAMBDAENVKEY0001', secretAccessKey: 'lambdaEnvSecret', sessionToken: 'lambdaEnvSessionToken' });
  });

  it('falls back to the container credentials endpoint, sending its authorization token, and remembers the answer until near expiry', async () => {
    // Prepare: an endpoint that answers as the container credentials service does
    const requests: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      requests.push(request.headers);
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          AccessKeyId: 'ASIACONTAINERKEY0001',
          SecretAccessKey: 'containerSecret',
          Token: 'containerSessionToken',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    process.env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = `http://127.0.0.1:${String(port)}/credentials`;
    process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = 'container-authorization';
    try {
      // Act
      const provider = defaultProvider();
      const first = await provider();
      const second = await provider();

      // Assess
      expect(first).toMatchObject({ accessKeyId: 'ASIACONTAINERKEY0001', secretAccessKey: 'containerSecret', sessionToken: 'containerSessionToken' });
      expect(second).toEqual(first);
      expect(requests).toHaveLength(1);
      expect(requests[0]?.authorization).toBe('container-authorization');
    } finally {
      server.close();
    }
  });

  it('fails with a sentence naming both sources when neither is set, and never reads a profile', async () => {
    // Prepare: a profile, which the SDK's full chain would try to read
    process.env['AWS_PROFILE'] = 'developer-profile';

    // Act
    const failure = defaultProvider()().then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    const error = await failure;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/AWS_ACCESS_KEY_ID.*AWS_CONTAINER_CREDENTIALS_FULL_URI/s);
  });
});
