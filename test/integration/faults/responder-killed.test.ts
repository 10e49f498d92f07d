import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRecord } from '#shared/history/record.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { eventually, startResponderHarness, timesActed, type ResponderHarness } from '#test/support/responder-harness.ts';

// A host responder SIGKILLed while it runs a host action (after it recorded prior and applied the
// step, before it reported an outcome). The responder is a process of its own
// (responder-process.ts: the shared runner, receiving from the service's embedded SQS over its
// socket) so that the kill is a real one: no finally block, no last report, no journal write.

const entry = fileURLToPath(new URL('./responder-process.ts', import.meta.url));
const statuses = (record: ActionRecord): string[] => record.statusHistory.map((change) => change.status);
const ended = (record: ActionRecord): boolean => record.status === 'Completed' || record.status === 'Error';

interface ResponderProcess {
  readonly child: ChildProcess;
  output(): string;
}

/** Starts responder-process.ts for `host/<name>`; its state directory survives it, as a host's does. */
async function startResponderProcess(harness: ResponderHarness, name: string, markers: string, hang: boolean): Promise<ResponderProcess> {
  const sqsSocket = join(harness.dataDir, 'sockets', 'aws.sock');
  await access(sqsSocket).catch((error: unknown) => {
    throw new Error(`the local service's SQS socket is not at ${sqsSocket}, where this test expects it`, { cause: error });
  });
  const settings = {
    apiUrl: harness.service.url,
    token: await harness.responderToken(name),
    name,
    stateDir: join(harness.dataDir, 'killed-responders', name),
    markers,
    signingKey: harness.service.responders.signingKey,
    sqsSocket,
    queuePrefix: loadResponderConfig({}).queuePrefix,
    hang,
  };
  const child = spawn(process.execPath, [entry, JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function kill(responder: ResponderProcess): Promise<void> {
  const exited = once(responder.child, 'exit');
  responder.child.kill('SIGKILL');
  await exited;
}

async function record(harness: ResponderHarness, id: string): Promise<ActionRecord> {
  return (await harness.call('GET', `/v1/actions/${id}`, await harness.analyst())).body as ActionRecord;
}

/** Waits until the action runs on the responder and has applied its step (the marker line, with prior recorded first). */
async function appliedOnce(harness: ResponderHarness, markers: string, id: string): Promise<void> {
  await eventually(async () => (await timesActed(markers, id)) === 1 && (await record(harness, id)).prior !== null, 60_000);
}

const processes: ResponderProcess[] = [];
afterAll(async () => {
  for (const each of processes) if (each.child.exitCode === null && each.child.signalCode === null) await kill(each);
});

describe('a responder SIGKILLed mid-action that does not come back', () => {
  let harness: ResponderHarness;
  beforeAll(async () => {
    harness = await startResponderHarness({ env: { PICKUP_DEADLINE_SECONDS: '3', COMPLETION_DEADLINE_SECONDS: '600' } });
  });
  afterAll(async () => harness.close());

  it('ends the action in Error ResponderLost at its heartbeat deadline, never Completed, with prior as recorded', { timeout: 180_000 }, async () => {
    // Prepare
    const markers = await mkdtemp(join(tmpdir(), 'killed-markers-'));
    const responder = await startResponderProcess(harness, 'killed-1', markers, true);
    processes.push(responder);
    // Registered (and so polling) before the work exists: the short pickup deadline is not spent on its start-up.
    await eventually(() => responder.output().includes('"responder registered"'), 60_000);
    const created = await harness.createHostAction('killed-1');
    await appliedOnce(harness, markers, created.id);

    // Act
    await kill(responder);
    const done = await harness.until(created.id, ended, 60_000);

    // Assess
    expect(statuses(done)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
    expect(done.error?.code).toBe('ResponderLost');
    expect(done.prior).toMatchObject({ path: created.inputs['path.absolute'] });
    expect(await timesActed(markers, created.id)).toBe(1);
  });
});

describe('a responder SIGKILLed mid-action and started again', () => {
  let harness: ResponderHarness;
  beforeAll(async () => {
    // A pickup deadline far longer than a restart takes: the Error must come from the restarted responder, not the heartbeat.
    harness = await startResponderHarness({ env: { PICKUP_DEADLINE_SECONDS: '120', COMPLETION_DEADLINE_SECONDS: '600' } });
  });
  afterAll(async () => harness.close());

  it('reports the action interrupted at once, does not apply it again, and answers redelivered work from its journal', { timeout: 180_000 }, async () => {
    // Prepare: the work is read once here (and handed back at once) so the test can deliver it again later.
    const markers = await mkdtemp(join(tmpdir(), 'killed-markers-'));
    // Registered by hand first: the service refuses work for a host no responder has registered.
    await harness.call('POST', '/v1/responders', await harness.responderToken('killed-2'), { kind: 'host', name: 'killed-2', version: 'fault-test', capabilities: ['file-quarantine'] });
    const created = await harness.createHostAction('killed-2');
    await harness.until(created.id, (current) => current.status === 'Enqueued');
    const queues = harness.service.responders.queues;
    const target = { kind: 'host', name: 'killed-2' } as const;
    const [work] = await queues.receive(target, 1, 5);
    if (work === undefined) throw new Error('no work was sent');
    await queues.release(target, work.receipt);
    const first = await startResponderProcess(harness, 'killed-2', markers, true);
    processes.push(first);
    await appliedOnce(harness, markers, created.id);
    await kill(first);

    // Act: started again (its action would now finish at once, were it run again), and the work sent twice more.
    const second = await startResponderProcess(harness, 'killed-2', markers, false);
    processes.push(second);
    const done = await harness.until(created.id, ended, 60_000);
    await queues.send(target, work.body);
    await queues.send(target, work.body);
    await eventually(() => second.output().split('\n').filter((line) => line.includes('duplicate delivery: stored outcome')).length === 2, 30_000);
    await eventually(async () => JSON.stringify(await queues.counts(target)) === JSON.stringify({ queued: 0, inFlight: 0, deadLetters: 0 }), 30_000);

    // Assess
    expect(statuses(done)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
    expect(done.error).toEqual({
      code: 'ResponderInterrupted',
      message: 'the responder for host killed-2 stopped while running this action and does not run it twice; check the target before retrying',
    });
    expect(await timesActed(markers, created.id)).toBe(1);
    expect(await record(harness, created.id)).toEqual(done);
    const journal = JSON.parse(await readFile(join(harness.dataDir, 'killed-responders', 'killed-2', 'journal', `${created.id}.json`), 'utf8')) as Record<string, unknown>;
    expect(journal).toMatchObject({ state: 'done', reported: true, outcome: { status: 'Error', error: { code: 'ResponderInterrupted' } } });
  });
});
