import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { workSigningKeyPlaceholder } from '#infra/constructs/work-signing-key.ts';
import {
  ensureWorkSigningKey,
  main,
  promoteWorkSigningKey,
  stageWorkSigningKey,
  WorkSigningKeyStateError,
} from '#infra/scripts/work-signing-key.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';

const secretId = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ResponseActionsStateful-WorkSigningKey-AbCdEf';
const notFound = (): ResourceNotFoundException => new ResourceNotFoundException({ message: "can't find the specified secret version", $metadata: {} });

describe('infra/scripts/work-signing-key.ts (the operator step for the work-signing secret)', () => {
  const secrets = mockClient(SecretsManagerClient);
  // The mock patches the client class for the whole worker, which files share (vitest.config.ts: isolate false).
  afterAll(() => {
    secrets.restore();
  });
  const client = (): SecretsManagerClient => new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

  afterEach(() => {
    secrets.reset();
  });

  /** The private keys the script put, as the functions would read them. */
  const putKeys = (): { stages: string[] | undefined; kid: string }[] =>
    secrets.commandCalls(PutSecretValueCommand).map((call) => ({
      stages: call.args[0].input.VersionStages,
      kid: workSigningKeyFromJwk(JSON.parse(call.args[0].input.SecretString ?? '')).keyId,
    }));

  it('ensure replaces the placeholder with a new Ed25519 key the functions accept, and returns only its public half', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: workSigningKeyPlaceholder });
    secrets.on(PutSecretValueCommand).resolves({});

    // Act
    const outcome = await ensureWorkSigningKey(client(), secretId);

    // Assess
    expect(outcome.changed).toBe(true);
    expect(putKeys()).toEqual([{ stages: ['AWSCURRENT'], kid: outcome.publicJwk.kid }]);
    expect(outcome.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(outcome.publicJwk).not.toHaveProperty('d');
  });

  it('ensure leaves a key that is already there alone (running it twice never rotates the key)', async () => {
    // Prepare
    const existing = generateWorkSigningJwk();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(existing) });

    // Act
    const outcome = await ensureWorkSigningKey(client(), secretId);

    // Assess
    expect(outcome).toMatchObject({ changed: false, publicJwk: { kid: existing.kid, x: existing.x } });
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('stage puts a new key as AWSPENDING only, which the functions do not read, and refuses while no key is set', async () => {
    // Prepare
    const existing = generateWorkSigningJwk();
    secrets.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolvesOnce({ SecretString: workSigningKeyPlaceholder }).resolves({ SecretString: JSON.stringify(existing) });
    secrets.on(PutSecretValueCommand).resolves({});

    // Act
    const refused = stageWorkSigningKey(client(), secretId);
    await expect(refused).rejects.toBeInstanceOf(WorkSigningKeyStateError);
    const outcome = await stageWorkSigningKey(client(), secretId);

    // Assess
    expect(putKeys()).toEqual([{ stages: ['AWSPENDING'], kid: outcome.publicJwk.kid }]);
    expect(outcome.publicJwk.kid).not.toBe(existing.kid);
  });

  it('promote moves AWSCURRENT to the staged key and clears AWSPENDING', async () => {
    // Prepare
    const staged = generateWorkSigningJwk();
    secrets.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).resolves({ SecretString: JSON.stringify(staged) });
    secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { old: ['AWSCURRENT'], new: ['AWSPENDING'], older: ['AWSPREVIOUS'] } });
    secrets.on(UpdateSecretVersionStageCommand).resolves({});

    // Act
    const outcome = await promoteWorkSigningKey(client(), secretId);

    // Assess
    expect(outcome.publicJwk.kid).toBe(staged.kid);
    expect(secrets.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: secretId, VersionStage: 'AWSCURRENT', MoveToVersionId: 'new', RemoveFromVersionId: 'old' },
      { SecretId: secretId, VersionStage: 'AWSPENDING', RemoveFromVersionId: 'new' },
    ]);
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('promote refuses when nothing valid is staged, and changes nothing', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());

    // Act
    const promoted = promoteWorkSigningKey(client(), secretId);

    // Assess
    await expect(promoted).rejects.toThrow(/run "stage" first/);
    expect(secrets.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('prints the public JWK alone on stdout, never the private key, and exits 2 on a usage error', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: workSigningKeyPlaceholder });
    secrets.on(PutSecretValueCommand).resolves({});
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (text: string) => out.push(text), stderr: (text: string) => err.push(text), client: client() };

    // Act
    const code = await main(['ensure', '--secret-id', secretId], io);
    const usage = await main(['rotate', '--secret-id', secretId], io);
    const missingId = await main(['ensure'], io);

    // Assess
    expect([code, usage, missingId]).toEqual([0, 2, 2]);
    const [printed] = out;
    const publicJwk = JSON.parse(printed ?? '') as Record<string, unknown>;
    expect(out).toHaveLength(1);
    expect(Object.keys(publicJwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    const [put] = secrets.commandCalls(PutSecretValueCommand);
    const privatePart = (JSON.parse(put?.args[0].input.SecretString ?? '{}') as { d: string }).d;
    expect(`${out.join('')}${err.join('')}`).not.toContain(privatePart);
    expect(err.join('')).toMatch(/usage: npx node infra\/scripts\/work-signing-key\.ts/);
  });
});
