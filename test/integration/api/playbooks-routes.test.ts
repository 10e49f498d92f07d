/**
 * The playbook routes as `npm start` serves them (startLocalService: real routes, real JWT
 * verification, the PlaybookRunService on the embedded DynamoDB, the local playbook runner): who
 * may do what (403 before any 400), every bad path, query and body refused naming the field with
 * nothing written, the addresses answered, and dry runs that write nothing. No responder runs
 * here, so a run's host steps wait Enqueued: these tests are about the HTTP edge, not the run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '#local/service.ts';
import { playbookListSchema, playbookPlanResponseSchema, playbookRunPageSchema, playbookRunSchema } from '#shared/playbooks/run-schema.ts';
import type { PlaybookDescription, PlaybookRun } from '#shared/playbooks/types.ts';

const containmentExec = 'containment-response-actions.exec';
const containmentRead = 'containment-response-actions.read';
const dataExec = 'data-gathering-response-actions.exec';
const dataRead = 'data-gathering-response-actions.read';
const bothExec = [containmentExec, dataExec];
const bothRead = [containmentRead, dataRead];
const suspicious = { inputs: { 'host.id': 'web-7', 'path.absolute': '/tmp/dropper.sh' }, reason: 'route test' };

let dataDir: string;
let service: LocalService;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'playbook-routes-'));
  // Runs on hosts named gated-* wait for a second person.
  service = await startLocalService({ dataDir, port: 0, env: { APPROVAL_REQUIRED: 'host/gated-*' }, hostResponder: false });
});
afterAll(async () => {
  await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly type: string | null;
  readonly location: string | null;
  readonly body: Record<string, unknown> & { errors?: { path: string; message: string }[] };
}

async function call(method: string, path: string, scopes: readonly string[], body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const bearer = await service.issuer.issue({ sub: 'analyst-1', scopes });
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    location: response.headers.get('location'),
    body: (await response.json()) as Answer['body'],
  };
}

const paths = (answer: Answer): string[] => (answer.body.errors ?? []).map((error) => error.path);

/** The ids of every run, action and approval a reader may see: what "nothing written" is checked against (earlier runs move on meanwhile). */
async function written(): Promise<{ runs: string[]; actions: string[]; approvals: string[] }> {
  const ids = async (path: string): Promise<string[]> => ((await call('GET', path, bothRead)).body['items'] as { id: string }[]).map((item) => item.id);
  return { runs: await ids('/v1/playbook-runs?limit=100'), actions: await ids('/v1/actions?limit=100'), approvals: await ids('/v1/approvals?limit=100') };
}

describe('GET /v1/playbooks', () => {
  it('lists the six built-ins to any reader, each step with its phase, and nothing to a token without a category scope', async () => {
    // Act
    const listed = await call('GET', '/v1/playbooks', [dataRead]);
    const responderOnly = await call('GET', '/v1/playbooks', ['response-actions.events']);

    // Assess
    expect(listed.status).toBe(200);
    expect(playbookListSchema.safeParse(listed.body).error).toBeUndefined();
    const playbooks = listed.body as unknown as PlaybookDescription[];
    expect(playbooks.map((playbook) => playbook.name).sort()).toEqual([
      'aws-credential-compromise',
      'container-compromise',
      'ec2-instance-compromise',
      'kubernetes-workload-breach',
      'network-exfiltration',
      'suspicious-file',
    ]);
    const ec2 = playbooks.find((playbook) => playbook.name === 'ec2-instance-compromise');
    expect(ec2?.steps.map((step) => [step.id, step.type, step.phase])).toEqual([
      ['snapshot', 'cloud-volume-snapshot', 'evidence'],
      ['isolate', 'isolate-ec2-instance', 'containment'],
    ]);
    expect(ec2?.inputs).toMatchObject({ type: 'object', required: ['aws.resource.arn'] });
    expect(responderOnly.status).toBe(403);
    expect(responderOnly.type).toBe('application/problem+json');
  });
});

describe('POST /v1/playbooks/{name}/runs', () => {
  it('refuses (403) a caller without the exec scope of every category the steps use before looking at the request, writing nothing', async () => {
    // Prepare
    const before = await written();

    // Act
    const reader = await call('POST', '/v1/playbooks/suspicious-file/runs?colour=red', bothRead, { inputs: 42, extra: true });
    const containmentOnly = await call('POST', '/v1/playbooks/suspicious-file/runs', [containmentExec, dataRead], { inputs: 'nonsense' });
    const containmentOnlyPlan = await call('POST', '/v1/playbooks/suspicious-file/runs?dryRun=true', [containmentExec], { inputs: [] });

    // Assess
    for (const answer of [reader, containmentOnly, containmentOnlyPlan]) {
      expect(answer.status).toBe(403);
      expect(answer.type).toBe('application/problem+json');
      expect(answer.body.errors).toBeUndefined();
    }
    expect(containmentOnly.body['detail']).toMatch(/data-gathering-response-actions\.exec/);
    expect(await written()).toEqual(before);
  });

  it('answers 404 for a playbook that does not exist, whatever its name looks like', async () => {
    // Act
    const unknown = await call('POST', '/v1/playbooks/no-such-playbook/runs', bothExec, suspicious);
    const traversal = await call('POST', `/v1/playbooks/${encodeURIComponent('../suspicious-file')}/runs`, bothExec, suspicious);
    const plan = await call('POST', '/v1/playbooks/no-such-playbook/runs?dryRun=true', bothExec, suspicious);

    // Assess
    for (const answer of [unknown, traversal, plan]) {
      expect(answer.status).toBe(404);
      expect(answer.type).toBe('application/problem+json');
    }
  });

  it('refuses (400) every bad part of the request, naming each field, and writes nothing', async () => {
    // Prepare
    const before = await written();

    // Act
    const badBody = await call('POST', '/v1/playbooks/suspicious-file/runs?colour=red', bothExec, {
      inputs: { 'host.id': '', 'path.absolute': 'relative/path', 'process.id': 7 },
      reason: 'x'.repeat(1001),
      priority: 'high',
    });
    const notAnObject = await call('POST', '/v1/playbooks/suspicious-file/runs', bothExec, { inputs: ['host.id', 'web-7'] });
    const badDryRun = await call('POST', '/v1/playbooks/suspicious-file/runs?dryRun=maybe', bothExec, suspicious);
    const badKey = await call('POST', '/v1/playbooks/suspicious-file/runs', bothExec, suspicious, { 'idempotency-key': 'has spaces' });
    const badPlan = await call('POST', '/v1/playbooks/suspicious-file/runs?dryRun=true', bothExec, { inputs: { 'host.id': 'web-7' } });

    // Assess
    for (const answer of [badBody, notAnObject, badDryRun, badKey, badPlan]) {
      expect(answer.status).toBe(400);
      expect(answer.type).toBe('application/problem+json');
    }
    expect(paths(badBody)).toEqual(expect.arrayContaining(['priority', 'colour', 'inputs.host.id', 'inputs.path.absolute', 'inputs.process.id', 'reason']));
    expect(paths(notAnObject)).toEqual(['inputs']);
    expect(paths(badDryRun)).toEqual(['dryRun']);
    expect(paths(badKey)).toEqual(['Idempotency-Key']);
    expect(paths(badPlan)).toEqual(['inputs.path.absolute']);
    expect(await written()).toEqual(before);
  });

  it('answers a dry run with every step\'s plan, in order, and writes nothing', async () => {
    // Prepare
    const before = await written();

    // Act
    const planned = await call('POST', '/v1/playbooks/suspicious-file/runs?dryRun=true', bothExec, suspicious, { 'idempotency-key': 'plan-1' });

    // Assess
    expect(planned.status).toBe(200);
    expect(playbookPlanResponseSchema.safeParse(planned.body).error).toBeUndefined();
    const plan = planned.body['plan'] as { playbook: string; steps: { id: string; type: string; phase: string; plan: { type: string } | null }[] };
    expect(plan.playbook).toBe('suspicious-file');
    expect(plan.steps.map((step) => [step.id, step.type, step.phase, step.plan?.type])).toEqual([
      ['acquire', 'acquire-file', 'evidence', 'acquire-file'],
      ['quarantine', 'file-quarantine', 'containment', 'file-quarantine'],
    ]);
    expect(await written()).toEqual(before);
  });

  it('answers 202 with the run and its address, replays an Idempotency-Key, and serves the run there', async () => {
    // Act
    const created = await call('POST', '/v1/playbooks/suspicious-file/runs', bothExec, suspicious, { 'idempotency-key': 'run-once-1' });
    const repeated = await call('POST', '/v1/playbooks/suspicious-file/runs', bothExec, suspicious, { 'idempotency-key': 'run-once-1' });
    const read = await call('GET', created.location ?? '', bothRead);

    // Assess
    expect(created.status).toBe(202);
    const run = created.body as unknown as PlaybookRun;
    expect(created.location).toBe(`/v1/playbook-runs/${run.id}`);
    expect(playbookRunSchema.safeParse(created.body).error).toBeUndefined();
    expect(playbookRunSchema.safeParse(read.body).error).toBeUndefined();
    expect(run).toMatchObject({ playbook: 'suspicious-file', createdBy: 'analyst-1', reason: 'route test', undoOf: null, trigger: null });
    expect(run.inputs).toEqual(suspicious.inputs);
    expect(run.steps.map((step) => step.id)).toEqual(['acquire', 'quarantine']);
    expect(repeated.status).toBe(202);
    expect((repeated.body as unknown as PlaybookRun).id).toBe(run.id);
    expect(read.status).toBe(200);
    expect(read.body['id']).toBe(run.id);
  });

  it('asks for an approval (202 { approval }, its address) on a target under APPROVAL_REQUIRED, and starts nothing', async () => {
    // Prepare
    const before = await written();

    // Act
    const gated = await call('POST', '/v1/playbooks/suspicious-file/runs', bothExec, { inputs: { 'host.id': 'gated-1', 'path.absolute': '/tmp/x' } });

    // Assess
    expect(gated.status).toBe(202);
    const approval = gated.body['approval'] as { id: string; status: string; request: { playbook?: string } };
    expect(gated.location).toBe(`/v1/approvals/${approval.id}`);
    expect(approval).toMatchObject({ status: 'pending', request: { playbook: 'suspicious-file' } });
    const after = await written();
    expect(after.runs).toEqual(before.runs);
    expect(after.actions).toEqual(before.actions);
    expect(after.approvals).toHaveLength(before.approvals.length + 1);
  });
});

describe('GET /v1/playbook-runs and /v1/playbook-runs/{id}', () => {
  it('refuses (400) every bad filter, naming it', async () => {
    // Act
    const answers = await Promise.all([
      call('GET', '/v1/playbook-runs?status=Paused', bothRead),
      call('GET', '/v1/playbook-runs?playbook=no-such-playbook', bothRead),
      call('GET', '/v1/playbook-runs?limit=0', bothRead),
      call('GET', '/v1/playbook-runs?limit=101', bothRead),
      call('GET', `/v1/playbook-runs?createdBy=${'x'.repeat(257)}`, bothRead),
      call('GET', '/v1/playbook-runs?cursor=forged', bothRead),
      call('GET', '/v1/playbook-runs?colour=red', bothRead),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400, 400, 400]);
    expect(answers.map((answer) => paths(answer))).toEqual([['status'], ['playbook'], ['limit'], ['limit'], ['createdBy'], ['cursor'], ['colour']]);
  });

  it('lists runs by playbook, status and creator, and hides a run from a reader of only one of its categories', async () => {
    // Prepare
    const created = (await call('POST', '/v1/playbooks/suspicious-file/runs', bothExec, suspicious)).body as unknown as PlaybookRun;

    // Act
    const byPlaybook = await call('GET', '/v1/playbook-runs?playbook=suspicious-file&createdBy=analyst-1&limit=100', bothRead);
    const otherPlaybook = await call('GET', '/v1/playbook-runs?playbook=ec2-instance-compromise', bothRead);
    const completed = await call('GET', '/v1/playbook-runs?status=Completed', bothRead);
    const oneCategory = await call('GET', '/v1/playbook-runs', [containmentRead]);
    const oneCategoryGet = await call('GET', `/v1/playbook-runs/${created.id}`, [containmentRead]);
    const unknown = await call('GET', '/v1/playbook-runs/00000000-0000-4000-8000-000000000000', bothRead);
    const notAnId = await call('GET', '/v1/playbook-runs/..%2F..%2Fetc', bothRead);

    // Assess
    expect(playbookRunPageSchema.safeParse(byPlaybook.body).error).toBeUndefined();
    const ids = (byPlaybook.body['items'] as PlaybookRun[]).map((run) => run.id);
    expect(ids[0]).toBe(created.id);
    expect(byPlaybook.body).toHaveProperty('nextCursor');
    expect(otherPlaybook.body['items']).toEqual([]);
    expect((completed.body['items'] as PlaybookRun[]).map((run) => run.id)).not.toContain(created.id);
    expect(oneCategory.body['items']).toEqual([]);
    expect(oneCategoryGet.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(notAnId.status).toBe(404);
  });

  it('refuses (403) a token without a category scope, none at all or a responder\'s, on every read, naming no run', async () => {
    // Prepare
    const created = (await call('POST', '/v1/playbooks/suspicious-file/runs', bothExec, suspicious)).body as unknown as PlaybookRun;
    const reads = ['/v1/playbooks', '/v1/playbook-runs', '/v1/playbook-runs?playbook=suspicious-file', `/v1/playbook-runs/${created.id}`];

    // Act
    const answers = await Promise.all(reads.flatMap((path) => [call('GET', path, []), call('GET', path, ['response-actions.events'])]));

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual(reads.flatMap(() => [403, 403]));
    expect(answers.map((answer) => answer.type)).toEqual(reads.flatMap(() => ['application/problem+json', 'application/problem+json']));
    expect(answers.filter((answer) => JSON.stringify(answer.body).includes(created.id))).toEqual([]);
  });
});

describe('POST /v1/playbook-runs/{id}/undo', () => {
  it('refuses a reader (403) before anything, a run it cannot see (404), a bad body (400) and a run still going (409), writing nothing', async () => {
    // Prepare
    const created = (await call('POST', '/v1/playbooks/suspicious-file/runs', bothExec, suspicious)).body as unknown as PlaybookRun;
    const before = await written();

    // Act
    const reader = await call('POST', `/v1/playbook-runs/${created.id}/undo`, bothRead, { colour: 'red' });
    const unknown = await call('POST', '/v1/playbook-runs/00000000-0000-4000-8000-000000000000/undo', bothExec, {});
    const badBody = await call('POST', `/v1/playbook-runs/${created.id}/undo`, bothExec, { reason: 42, colour: 'red' });
    const stillGoing = await call('POST', `/v1/playbook-runs/${created.id}/undo`, bothExec, { reason: 'too soon' });

    // Assess
    expect(reader.status).toBe(403);
    expect(unknown.status).toBe(404);
    expect(badBody.status).toBe(400);
    expect(paths(badBody).sort()).toEqual(['colour', 'reason']);
    expect(stillGoing.status).toBe(409);
    expect(await written()).toEqual(before);
  });
});

describe('GET /v1/openapi.json', () => {
  it('describes the five playbook routes', async () => {
    // Act
    const document = (await (await fetch(`${service.url}/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };

    // Assess
    expect(document.paths['/v1/playbooks']?.['get']?.operationId).toBe('listPlaybooks');
    expect(document.paths['/v1/playbooks/{name}/runs']?.['post']?.operationId).toBe('createPlaybookRun');
    expect(document.paths['/v1/playbook-runs']?.['get']?.operationId).toBe('listPlaybookRuns');
    expect(document.paths['/v1/playbook-runs/{id}']?.['get']?.operationId).toBe('getPlaybookRun');
    expect(document.paths['/v1/playbook-runs/{id}/undo']?.['post']?.operationId).toBe('undoPlaybookRun');
    expect(document.paths['/v1/playbooks/{name}/runs']?.['post']?.responses['202']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/PlaybookRunAccepted' } } },
    });
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['PlaybookList', 'PlaybookRun', 'PlaybookRunRequest', 'PlaybookPlanResponse', 'PlaybookRunPage']));
  });
});
