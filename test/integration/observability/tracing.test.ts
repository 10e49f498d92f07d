import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { buildServiceFunctionBundle } from '#infra/bundling/build-service-function-bundle.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const traceId = '1-67a1b2c3-0123456789abcdef01234567';
const credentials = {
  AWS_ACCESS_KEY_ID: 'ASIATRACEDTESTKEY001',
  AWS_SECRET_ACCESS_KEY: 'tracedSecretAccessKey/0123456789abcdefEXAMPLE',
  AWS_SESSION_TOKEN: 'tracedSessionToken0123456789EXAMPLETOKEN',
};
const responseSecret = 'response-secret-never-traced';

interface SegmentDocument {
  readonly name: string;
  readonly id: string;
  readonly trace_id: string;
  readonly parent_id?: string;
  readonly type?: string;
  readonly namespace?: string;
  readonly aws?: { readonly operation?: string; readonly region?: string; readonly request_id?: string };
  readonly http?: { readonly response?: { readonly status?: number } };
  readonly subsegments?: readonly SegmentDocument[];
}

/** A UDP socket standing in for the X-Ray daemon: every datagram as received, and the segment documents in them. */
let daemon: Socket;
let datagrams: string[];
let arrived: () => void;
beforeEach(async () => {
  datagrams = [];
  arrived = () => undefined;
  daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    datagrams.push(message.toString('utf8'));
    arrived();
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
});
afterEach(() => {
  daemon.close();
});

/** The daemon protocol: a `{"format":"json","version":1}` header line, then one segment document. */
function documents(): SegmentDocument[] {
  return datagrams.map((datagram) => {
    const [header, body] = datagram.split('\n');
    expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
    return JSON.parse(body ?? '') as SegmentDocument;
  });
}

function flatten(document: SegmentDocument): SegmentDocument[] {
  return [document, ...(document.subsegments ?? []).flatMap(flatten)];
}

function awsCalls(): string[] {
  return documents()
    .flatMap(flatten)
    .filter((segment) => segment.namespace === 'aws')
    .map((segment) => `${segment.name} ${segment.aws?.operation ?? ''}`);
}

/** Waits (bounded by the test timeout) until the daemon has received what `done` looks for. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise<void>((resolve) => (arrived = resolve));
}

/**
 * Runs `script` (traced-invocation.ts, as source or as the bundle a ServiceFunction deploys) as one
 * Lambda invocation and checks what reached the daemon.
 */
async function invokeAndAssessTrace(script: string): Promise<void> {
  // Prepare: Lambda's environment, the daemon on our socket, moto as AWS
  const { port } = daemon.address();
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      LAMBDA_TASK_ROOT: root,
      AWS_LAMBDA_FUNCTION_NAME: 'response-actions-traced',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      _HANDLER: 'index.handler',
      _X_AMZN_TRACE_ID: `Root=${traceId};Parent=53995c3f42cd8ad8;Sampled=1`,
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${String(port)}`,
      AWS_REGION: 'us-east-1',
      ...credentials,
      MOTO_ENDPOINT: inject('motoEndpoint'),
      HISTORY_TABLE_NAME: `traced-${randomUUID()}`,
      RESPONSE_SECRET: responseSecret,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

  // Act: the invocation's calls, each a subsegment streamed to the daemon as it closes
  const expected = ['DynamoDB DescribeTable', 'DynamoDB CreateTable', 'DynamoDB GetItem', 'S3 ListBuckets'];
  await Promise.race([
    until(() => expected.every((call) => awsCalls().includes(call)) && documents().some((segment) => segment.name === '## index.handler')),
    exited.then((code) => {
      throw new Error(`the invocation exited (${String(code)}) before its segments arrived: ${output}`);
    }),
  ]);
  child.stdin.end();
  expect(await exited).toBe(0);

  // Assess: every document belongs to the invocation's trace; the calls hang under the handler's subsegment
  const sent = documents();
  expect(new Set(sent.map((segment) => segment.trace_id))).toEqual(new Set([traceId]));
  const handlerSegment = sent.find((segment) => segment.name === '## index.handler');
  const calls = sent.flatMap(flatten).filter((segment) => segment.namespace === 'aws');
  expect(calls.map((call) => call.parent_id)).toEqual(calls.map(() => handlerSegment?.id));
  expect(calls.find((call) => call.name === 'S3')).toMatchObject({ aws: { operation: 'ListBuckets', region: 'us-east-1' }, http: { response: { status: 200 } } });
  expect(output).toContain('invoked');
  const everything = datagrams.join('\n');
  for (const secret of [...Object.values(credentials), responseSecret]) expect(everything).not.toContain(secret);
  expect(everything).not.toMatch(/authorization|x-amz-security-token|signature=/i);
}

describe('X-Ray tracing of the SDK clients in Lambda (shared/observability)', () => {
  it('sends a subsegment per AWS call, named by service and operation, with no credentials and no response', async () => {
    await invokeAndAssessTrace(join(import.meta.dirname, 'traced-invocation.ts'));
  });

  it('does the same from the bundle a ServiceFunction deploys (Lambda credential chain, no X-Ray v2 patcher)', async () => {
    // Prepare: the invocation built exactly as deployed functions are
    const outdir = await mkdtemp(join(tmpdir(), 'traced-bundle-'));
    try {
      const bundle = await buildServiceFunctionBundle(join(import.meta.dirname, 'traced-invocation.ts'), outdir);
      const code = await readFile(bundle, 'utf8');
      expect(code).not.toContain('credential-provider-sso');
      expect(code).toContain("left out of this bundle; the service traces SDK v3 clients");

      // Act and assess, as for the source
      await invokeAndAssessTrace(bundle);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
