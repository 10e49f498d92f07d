/**
 * Puts, stages and promotes the key that signs responder work, in the secret the stateful stack
 * creates (`WorkSigningKeySecretArn` output). CloudFormation cannot make an Ed25519 key, so the
 * secret is created holding a placeholder the functions refuse; this is the operator's step.
 *
 *   npx node infra/scripts/work-signing-key.ts ensure  --secret-id ARN   # once, after the first deploy
 *   npx node infra/scripts/work-signing-key.ts stage   --secret-id ARN   # rotation, step 1
 *   npx node infra/scripts/work-signing-key.ts promote --secret-id ARN   # rotation, step 2
 *
 * Credentials and region come from the usual AWS SDK sources (profile, environment). Only the
 * public JWK goes to stdout (responders pin it: `signingKeys`); messages go to stderr. The private
 * key is generated in this process and sent to Secrets Manager only: never printed or written.
 * Exit 2 on a usage error, 1 on anything else.
 */
import { parseArgs } from 'node:util';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { WorkSigningPublicKey } from '#shared/responders/protocol.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';

/** What one command did: whether it wrote, the public key responders must trust, and a sentence for the operator. */
export interface WorkSigningKeyOutcome {
  readonly changed: boolean;
  readonly publicJwk: WorkSigningPublicKey;
  readonly message: string;
}

/** A refusal the operator can act on (a missing pending key, an unset current key). */
export class WorkSigningKeyStateError extends Error {
  override readonly name = 'WorkSigningKeyStateError';
}

const current = 'AWSCURRENT';
const pending = 'AWSPENDING';

/**
 * Makes sure the secret holds a work-signing key: a valid key is left as it is (its public half is
 * returned); anything else (the placeholder, no value) is replaced by a new key. Safe to run again.
 */
export async function ensureWorkSigningKey(client: SecretsManagerClient, secretId: string): Promise<WorkSigningKeyOutcome> {
  const existing = await readKey(client, secretId, current);
  if (existing !== null) {
    return { changed: false, publicJwk: existing, message: `the secret already holds work-signing key ${existing.kid}; nothing changed` };
  }
  const publicJwk = await putNewKey(client, secretId, [current]);
  return { changed: true, publicJwk, message: `put new work-signing key ${publicJwk.kid}: responders must trust it (signingKeys, or --trust-on-first-use)` };
}

/**
 * Rotation, step 1: puts a new key as AWSPENDING, which the functions do not read (they read
 * AWSCURRENT), and returns its public half for responders to trust before it signs anything.
 * Staging again replaces the pending key.
 */
export async function stageWorkSigningKey(client: SecretsManagerClient, secretId: string): Promise<WorkSigningKeyOutcome> {
  if ((await readKey(client, secretId, current)) === null) {
    throw new WorkSigningKeyStateError('the secret holds no work-signing key yet: run "ensure" first (nothing to rotate)');
  }
  const publicJwk = await putNewKey(client, secretId, [pending]);
  return {
    changed: true,
    publicJwk,
    message: `staged work-signing key ${publicJwk.kid} as ${pending}: add it to every responder's trusted keys, then run "promote"`,
  };
}

/**
 * Rotation, step 2: moves AWSCURRENT to the pending key (checked to be a valid key first) and
 * clears AWSPENDING. Functions pick the new key up as their execution environments start; keep the
 * old key trusted by responders until every warm one has been replaced.
 */
export async function promoteWorkSigningKey(client: SecretsManagerClient, secretId: string): Promise<WorkSigningKeyOutcome> {
  const staged = await readKey(client, secretId, pending);
  if (staged === null) throw new WorkSigningKeyStateError(`the secret has no valid ${pending} key: run "stage" first`);
  const { VersionIdsToStages = {} } = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  const versionWith = (stage: string): string | undefined =>
    Object.entries(VersionIdsToStages).find(([, stages]) => stages.includes(stage))?.[0];
  const pendingVersion = versionWith(pending);
  const currentVersion = versionWith(current);
  if (pendingVersion === undefined) throw new WorkSigningKeyStateError(`the secret has no ${pending} version: run "stage" first`);
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: current,
      MoveToVersionId: pendingVersion,
      ...(currentVersion === undefined ? {} : { RemoveFromVersionId: currentVersion }),
    }),
  );
  await client.send(new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: pending, RemoveFromVersionId: pendingVersion }));
  return {
    changed: true,
    publicJwk: staged,
    message: `work-signing key ${staged.kid} is now ${current}: functions sign with it from their next cold start; keep the previous key trusted for a day`,
  };
}

/** The public half of the key under `stage`, or null when there is none or it is not a valid key (the placeholder). */
async function readKey(client: SecretsManagerClient, secretId: string, stage: string): Promise<WorkSigningPublicKey | null> {
  let text: string | undefined;
  try {
    ({ SecretString: text } = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage })));
  } catch (error) {
    // No version carries the label (yet).
    if (error instanceof ResourceNotFoundException) return null;
    throw error;
  }
  try {
    return workSigningKeyFromJwk(JSON.parse(text ?? '')).publicJwk;
  } catch {
    return null;
  }
}

async function putNewKey(client: SecretsManagerClient, secretId: string, stages: readonly string[]): Promise<WorkSigningPublicKey> {
  const jwk = generateWorkSigningJwk();
  await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(jwk), VersionStages: [...stages] }));
  return workSigningKeyFromJwk(jwk).publicJwk;
}

const commands = { ensure: ensureWorkSigningKey, stage: stageWorkSigningKey, promote: promoteWorkSigningKey } as const;

const usage = `usage: npx node infra/scripts/work-signing-key.ts ensure|stage|promote --secret-id ARN

  ensure   put a new key unless the secret already holds one (the first deploy's step)
  stage    rotation: put a new key as ${pending}, for responders to trust first
  promote  rotation: make the ${pending} key ${current}
Prints the public JWK responders pin; the private key never leaves Secrets Manager.`;

/** Where {@link main} writes, and the client it uses (tests pass a stubbed one). */
export interface MainIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly client?: SecretsManagerClient;
}

/** The command line: returns the exit code. */
export async function main(args: readonly string[], io: MainIo): Promise<number> {
  let command: keyof typeof commands;
  let secretId: string;
  try {
    const { positionals, values } = parseArgs({ args: [...args], allowPositionals: true, strict: true, options: { 'secret-id': { type: 'string' } } });
    const [name, ...extra] = positionals;
    if (name === undefined || !Object.hasOwn(commands, name) || extra.length > 0) throw new TypeError('name one command: ensure, stage or promote');
    const id = values['secret-id'];
    if (id === undefined || id.trim() === '') throw new TypeError('--secret-id is required (the WorkSigningKeySecretArn output of ResponseActionsStateful)');
    command = name as keyof typeof commands;
    secretId = id.trim();
  } catch (error) {
    io.stderr(`work-signing-key: ${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`);
    return 2;
  }
  const client = io.client ?? new SecretsManagerClient({});
  try {
    const outcome = await commands[command](client, secretId);
    io.stderr(`work-signing-key: ${outcome.message}\n`);
    io.stdout(`${JSON.stringify(outcome.publicJwk)}\n`);
    return 0;
  } catch (error) {
    io.stderr(`work-signing-key: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    return 1;
  } finally {
    if (io.client === undefined) client.destroy();
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
