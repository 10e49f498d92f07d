/**
 * Host playbooks end to end through the local service and its in-process host responder, on real
 * files and processes of this machine: suspicious-file and its undo (the file back, the acquired
 * copy kept), a custom PLAYBOOKS file whose failed evidence step keeps a destructive step from
 * starting, continueOnError, a run that resumes after a restart, and a custom file that puts a
 * destructive step before evidence refused at start-up naming the step.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalService } from '#local/service.ts';
import { call, endedAt, runEnded, runningAt, startPlaybookService, startRun, stepActions } from './support.ts';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const host = `e2e-host-${randomUUID().slice(0, 8)}`;
let dir: string;
let playbooksFile: string;

const customPlaybooks = `
playbooks:
  - name: kill-after-binary
    title: Kill the process once its binary is secured
    description: Acquires the binary, then kills the process.
    inputs:
      - { name: host.id, required: true }
      - { name: path.absolute, required: true }
      - { name: process.id, required: true }
    steps:
      - id: binary
        type: acquire-file
        inputs: { host.id: { input: host.id }, path.absolute: { input: path.absolute } }
        continueOnError: true
      - id: kill
        type: kill-process
        inputs: { host.id: { input: host.id }, process.id: { input: process.id } }
  - name: quarantine-despite-missing-copy
    title: Quarantine even if the copy fails
    description: Tries to acquire the file, then quarantines it whatever happened.
    inputs:
      - { name: host.id, required: true }
      - { name: path.absolute, required: true }
    steps:
      - id: copy
        type: acquire-file
        inputs: { host.id: { input: host.id }, path.absolute: { value: /nonexistent/never-there } }
        continueOnError: true
      - id: quarantine
        type: file-quarantine
        inputs: { host.id: { input: host.id }, path.absolute: { input: path.absolute } }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-playbooks-host-'));
  playbooksFile = join(dir, 'playbooks.yaml');
  await writeFile(playbooksFile, customPlaybooks);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withService<T>(dataDir: string, hostResponder: boolean, use: (service: LocalService) => Promise<T>): Promise<T> {
  const service = await startPlaybookService({ dataDir, env: { PLAYBOOKS: playbooksFile }, hostResponder: hostResponder ? { name: host } : false });
  try {
    return await use(service);
  } finally {
    await service.close();
  }
}

const gone = (path: string): Promise<boolean> => stat(path).then(() => false, () => true);

describe('host playbooks through the local service', () => {
  it('suspicious-file: acquires the file before quarantining it; undoing the run restores it and keeps the acquired copy', async () => {
    // Prepare
    const file = join(dir, 'dropper.sh');
    await writeFile(file, '#!/bin/sh\necho pwned\n', { mode: 0o755 });

    await withService(join(dir, 'data-suspicious'), true, async (service) => {
      // Act
      const finished = await runEnded(service, (await startRun(service, 'suspicious-file', { 'host.id': host, 'path.absolute': file })).id);
      const [acquire, quarantine] = await stepActions(service, finished);
      const quarantined = await gone(file);
      const undoAnswer = await call<{ id: string }>(service, 'POST', `/v1/playbook-runs/${finished.id}/undo`, {});
      const undo = await runEnded(service, undoAnswer.body.id);
      const evidence = await call<{ items: { name: string; sha256: string }[] }>(service, 'GET', `/v1/actions/${acquire?.id ?? ''}/evidence`);

      // Assess
      expect(finished.status, JSON.stringify(finished)).toBe('Completed');
      if (acquire === undefined || quarantine === undefined) throw new Error('a step has no action');
      expect([acquire.type, quarantine.type]).toEqual(['acquire-file', 'file-quarantine']);
      expect(endedAt(acquire)).toBeLessThanOrEqual(runningAt(quarantine));
      expect(quarantined).toBe(true);
      expect(undo.status, JSON.stringify(undo)).toBe('Completed');
      expect(undo.steps.map((step) => [step.type, step.status])).toEqual([['file-unquarantine', 'Completed']]);
      expect(await readFile(file, 'utf8')).toBe('#!/bin/sh\necho pwned\n');
      expect(evidence.status).toBe(200);
      expect(evidence.body.items.length).toBeGreaterThan(0);
    });
  });

  it('a failed evidence step keeps the destructive step from starting, even with continueOnError: the process lives on', async () => {
    // Prepare
    const victim = spawn('sleep', ['300'], { stdio: 'ignore' });

    try {
      await withService(join(dir, 'data-kill'), true, async (service) => {
        // Act
        const finished = await runEnded(
          service,
          (await startRun(service, 'kill-after-binary', { 'host.id': host, 'path.absolute': join(dir, 'no-such-binary'), 'process.id': victim.pid })).id,
        );
        const actions = await stepActions(service, finished);

        // Assess
        expect(finished.status).toBe('Error');
        expect(finished.error?.code).toBe('EvidenceNotSecured');
        expect(finished.error?.message).toMatch(/binary/);
        expect(finished.steps.map((step) => [step.id, step.status])).toEqual([['binary', 'Error'], ['kill', 'Skipped']]);
        expect(actions.map((action) => action.type)).toEqual(['acquire-file']);
        expect(victim.exitCode).toBeNull();
        expect(victim.signalCode).toBeNull();
      });
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it('continueOnError: a failed step does not stop the run, and the steps after it run', async () => {
    // Prepare
    const file = join(dir, 'miner.bin');
    await writeFile(file, 'not really a miner');

    await withService(join(dir, 'data-continue'), true, async (service) => {
      // Act
      const finished = await runEnded(service, (await startRun(service, 'quarantine-despite-missing-copy', { 'host.id': host, 'path.absolute': file })).id);

      // Assess
      expect(finished.steps.map((step) => [step.id, step.status])).toEqual([['copy', 'Error'], ['quarantine', 'Completed']]);
      expect(await gone(file)).toBe(true);
    });
  });

  it('a run in flight when the service stops carries on after the restart, each step done once', async () => {
    // Prepare: no responder yet, so the evidence step waits Enqueued
    const file = join(dir, 'restart.sh');
    await writeFile(file, 'echo restart\n');
    const dataDir = join(dir, 'data-restart');
    const started = await withService(dataDir, false, async (service) => {
      const created = await startRun(service, 'suspicious-file', { 'host.id': host, 'path.absolute': file });
      for (let polls = 0; polls < 100; polls += 1) {
        const { body } = await call<{ steps: { status: string }[] }>(service, 'GET', `/v1/playbook-runs/${created.id}`);
        if (body.steps[0]?.status === 'Enqueued') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return created;
    });

    // Act
    await withService(dataDir, true, async (service) => {
      const finished = await runEnded(service, started.id);
      const actions = await stepActions(service, finished);
      const listed = await call<{ items: { type: string }[] }>(service, 'GET', `/v1/actions?limit=100`);

      // Assess
      expect(service.playbooks.recovery.resumed).toEqual([started.id]);
      expect(finished.status, JSON.stringify(finished)).toBe('Completed');
      expect(actions.map((action) => [action.type, action.status])).toEqual([['acquire-file', 'Completed'], ['file-quarantine', 'Completed']]);
      expect(listed.body.items.map((item) => item.type).sort()).toEqual(['acquire-file', 'file-quarantine']);
      expect(await gone(file)).toBe(true);
    });
  });

  it('refuses to start (exit 2) with a PLAYBOOKS file that puts a destructive step before any evidence, naming the playbook and step', async () => {
    // Prepare
    const bad = join(dir, 'bad-playbooks.yaml');
    await writeFile(
      bad,
      customPlaybooks.replace('      - id: binary\n', '      - id: kill-first\n        type: kill-process\n        inputs: { host.id: { input: host.id }, process.id: { input: process.id } }\n      - id: binary\n'),
    );

    // Act
    const outcome = await run(process.execPath, ['local/main.ts'], {
      cwd: root,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], PORT: '0', DATA_DIR: join(dir, 'data-refused'), PLAYBOOKS: bad },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: unknown) => error as { code: number; stderr: string },
    );

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/^configuration: PLAYBOOKS: /m);
    expect(outcome.stderr).toContain('kill-after-binary');
    expect(outcome.stderr).toContain('kill-first');
  });
});
