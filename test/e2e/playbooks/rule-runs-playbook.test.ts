/**
 * A rule that runs a playbook from a finding, end to end through the local service (what `npm
 * start` runs) and its in-process host responder, on real files of this machine: Falco alerts as
 * Falco's JSON output writes them are posted to POST /v1/events with an events token; an enforce
 * rule starts suspicious-file as automation:<rule id> (and a re-delivery starts nothing more), a
 * dry-run rule plans every step and writes nothing, an approval rule waits for a second person.
 * Findings are hostile: an alert naming a planted symbolic link, or a path with .. in it, takes
 * nothing away from the file it would reach.
 */
import { createHash, randomUUID } from 'node:crypto';
import { lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalService } from '#local/service.ts';
import type { Approval } from '#shared/approvals/types.ts';
import { eventsScope, execScopes, readScopes } from '#shared/auth/scopes.ts';
import type { DecisionRecord, EventAnswer } from '#shared/automation/types.ts';
import type { PlaybookPlan, PlaybookRun } from '#shared/playbooks/types.ts';
import { endedAt, runEnded, runningAt, startPlaybookService, stepActions } from './support.ts';

const host = `e2e-rule-host-${randomUUID().slice(0, 8)}`;
const enforceType = 'Write below binary dir';
const dryRunType = 'Executable file written to a temporary directory';
const approvalType = 'Unexpected script dropped for review';
const rules = `
rules:
  - id: binary-dropped
    description: Secure and quarantine a file written below a binary directory
    mode: enforce
    match: { source: falco, types: ['${enforceType}'] }
    run: { playbook: suspicious-file }
  - id: tmp-dropper-dry-run
    description: Plan securing and quarantining an executable dropped into a temporary directory
    mode: dry-run
    match: { source: falco, types: ['${dryRunType}'] }
    run: { playbook: suspicious-file }
  - id: script-for-review
    description: Secure and quarantine a dropped script once a person approves
    mode: approval
    match: { source: falco, types: ['${approvalType}'] }
    run: { playbook: suspicious-file }
`;

let dir: string;
let service: LocalService;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-rule-playbook-'));
  const rulesFile = join(dir, 'rules.yaml');
  await writeFile(rulesFile, rules);
  service = await startPlaybookService({ dataDir: join(dir, 'data'), env: { AUTOMATION_RULES: rulesFile }, hostResponder: { name: host } });
}, 60_000);
afterAll(async () => {
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

interface Answer<Body> {
  readonly status: number;
  readonly body: Body;
}

/** A person with every category's exec and read scope (an operator, an approver, a reader). */
async function asPerson<Body>(sub: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<Body>> {
  const bearer = await service.issuer.issue({ sub, scopes: [...Object.values(execScopes), ...Object.values(readScopes)] });
  return send<Body>(bearer, method, path, body === undefined ? undefined : JSON.stringify(body));
}

/** POST /v1/events as falcosidekick would: Falco's JSON output unchanged, with an events token. */
async function postAlert(alert: unknown): Promise<Answer<EventAnswer>> {
  const bearer = await service.issuer.issue({ sub: 'falcosidekick', scopes: [eventsScope] });
  return send<EventAnswer>(bearer, 'POST', '/v1/events', JSON.stringify(alert));
}

async function send<Body>(bearer: string, method: string, path: string, body: string | undefined): Promise<Answer<Body>> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

/** The conformance corpus's Falco alert (Falco's JSON output), about `path` on this host under Falco rule `rule`. */
async function falcoAlert(rule: string, path: string): Promise<Record<string, unknown>> {
  const fixture = new URL('../../fixtures/findings/conformance/falco-host-dropper-in-tmp.json', import.meta.url);
  const alert = JSON.parse(await readFile(fixture, 'utf8')) as Record<string, unknown> & { output_fields: Record<string, unknown> };
  return {
    ...alert,
    uuid: randomUUID(),
    rule,
    hostname: host,
    output: `08:25:00.000000000: Error ${rule} (file=${path} evt_type=openat user=deploy process=curl container_id=host container_name=host)`,
    output_fields: { ...alert.output_fields, 'fd.name': path, 'proc.cmdline': `curl -o ${path} https://example.test/d` },
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const present = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

async function runsOf(playbook: string): Promise<PlaybookRun[]> {
  return (await asPerson<{ items: PlaybookRun[] }>('reader', 'GET', `/v1/playbook-runs?playbook=${playbook}&limit=100`)).body.items;
}

async function decisionsOf(ruleId: string): Promise<DecisionRecord[]> {
  return (await asPerson<{ items: DecisionRecord[] }>('reader', 'GET', '/v1/events?limit=100')).body.items.filter((record) => record.ruleId === ruleId);
}

function onlyDecision(answer: Answer<EventAnswer>): EventAnswer['findings'][number]['decisions'][number] {
  const decisions = answer.body.findings.flatMap((finding) => finding.decisions);
  expect(decisions, JSON.stringify(answer.body)).toHaveLength(1);
  const [decision] = decisions;
  if (decision === undefined) throw new Error('no decision');
  return decision;
}

describe('a rule that runs a playbook from a finding', () => {
  it('enforce: the alert starts suspicious-file as the rule; evidence first, the file quarantined, a re-delivery starts no second run', async () => {
    // Prepare
    const content = `#!/bin/sh\necho ${randomUUID()}\n`;
    const file = join(dir, 'implant.sh');
    await writeFile(file, content, { mode: 0o755 });
    const alert = await falcoAlert(enforceType, file);

    // Act
    const first = await postAlert(alert);
    const decision = onlyDecision(first);
    const runId = decision.playbookRunId ?? '';
    const finished = await runEnded(service, runId);
    const [acquire, quarantine] = await stepActions(service, finished);
    const evidence = await asPerson<{ items: { sha256: string }[] }>('reader', 'GET', `/v1/actions/${acquire?.id ?? ''}/evidence`);
    const again = await postAlert(alert);
    const repeated = onlyDecision(again);
    const runs = await runsOf('suspicious-file');
    const recorded = await decisionsOf('binary-dropped');

    // Assess
    expect(first.status).toBe(202);
    expect(decision).toMatchObject({ ruleId: 'binary-dropped', outcome: 'executed', actionIds: [], approvalId: null });
    expect(decision.playbookRunId).toEqual(expect.any(String));
    expect(finished.status, JSON.stringify(finished)).toBe('Completed');
    expect(finished.createdBy).toBe('automation:binary-dropped');
    expect(finished.inputs).toMatchObject({ 'host.id': host, 'path.absolute': file });
    expect(finished.trigger).toMatchObject({ source: 'falco', findingType: enforceType, ruleId: 'binary-dropped', approvedBy: null });
    if (acquire === undefined || quarantine === undefined) throw new Error(`a step has no action: ${JSON.stringify(finished.steps)}`);
    expect([acquire.type, quarantine.type]).toEqual(['acquire-file', 'file-quarantine']);
    expect(endedAt(acquire)).toBeLessThanOrEqual(runningAt(quarantine));
    for (const record of [acquire, quarantine]) {
      expect(record.status).toBe('Completed');
      expect(record.createdBy).toBe('automation:binary-dropped');
      expect(record.playbookRunId).toBe(runId);
      expect(record.trigger).toMatchObject({ source: 'falco', findingType: enforceType, ruleId: 'binary-dropped', approvedBy: null });
    }
    expect(await present(file)).toBe(false);
    const quarantinedTo = (quarantine.result as { quarantinedTo?: unknown } | null)?.quarantinedTo;
    expect(typeof quarantinedTo === 'string' && quarantinedTo !== file && (await present(quarantinedTo))).toBe(true);
    expect((acquire.result as { sha256?: unknown } | null)?.sha256).toBe(sha256(content));
    expect(evidence.status).toBe(200);
    expect(evidence.body.items.map((item) => item.sha256)).toEqual([sha256(content)]);
    expect(again.status).toBe(202);
    expect(repeated).toMatchObject({ ruleId: 'binary-dropped', outcome: 'deduplicated', playbookRunId: runId });
    expect(runs.filter((each) => each.createdBy === 'automation:binary-dropped').map((each) => each.id)).toEqual([runId]);
    expect(recorded.map((record) => [record.outcome, record.playbookRunId]).sort()).toEqual([
      ['deduplicated', runId],
      ['executed', runId],
    ]);
  });

  it('dry-run: the decision is planned with every step of the playbook; no run, no action, no approval, the file untouched', async () => {
    // Prepare
    const file = join(dir, 'dropper-dry.sh');
    await writeFile(file, '#!/bin/sh\necho planned\n', { mode: 0o755 });
    const actionsBefore = (await asPerson<{ items: unknown[] }>('reader', 'GET', '/v1/actions?limit=100')).body.items.length;
    const runsBefore = (await runsOf('suspicious-file')).length;

    // Act
    const answer = await postAlert(await falcoAlert(dryRunType, file));
    const decision = onlyDecision(answer);
    const actionsAfter = (await asPerson<{ items: unknown[] }>('reader', 'GET', '/v1/actions?limit=100')).body.items.length;
    const runsAfter = (await runsOf('suspicious-file')).length;
    const approvals = (await asPerson<{ items: Approval[] }>('reader', 'GET', '/v1/approvals?limit=100')).body.items;

    // Assess
    expect(answer.status).toBe(202);
    expect(decision).toMatchObject({ ruleId: 'tmp-dropper-dry-run', outcome: 'planned', actionIds: [], approvalId: null, playbookRunId: null });
    const plan = decision.plan as PlaybookPlan | null;
    expect(plan?.playbook).toBe('suspicious-file');
    expect(plan?.steps.map((step) => [step.id, step.type, step.phase, step.plan?.allowed, step.plan?.resource.key])).toEqual([
      ['acquire', 'acquire-file', 'evidence', true, expect.stringContaining(file)],
      ['quarantine', 'file-quarantine', 'containment', true, expect.stringContaining(file)],
    ]);
    expect(actionsAfter).toBe(actionsBefore);
    expect(runsAfter).toBe(runsBefore);
    expect(approvals.filter((approval) => approval.trigger?.ruleId === 'tmp-dropper-dry-run')).toEqual([]);
    expect(await readFile(file, 'utf8')).toBe('#!/bin/sh\necho planned\n');
    expect((await decisionsOf('tmp-dropper-dry-run')).map((record) => [record.outcome, record.playbookRunId])).toEqual([['planned', null]]);
  });

  it('approval: the approval carries the playbook request; nothing runs until a second person approves, then the run carries who approved', async () => {
    // Prepare
    const content = '#!/bin/sh\necho review me\n';
    const file = join(dir, 'review.sh');
    await writeFile(file, content, { mode: 0o755 });

    // Act
    const answer = await postAlert(await falcoAlert(approvalType, file));
    const decision = onlyDecision(answer);
    const pending = await asPerson<Approval>('reader', 'GET', `/v1/approvals/${decision.approvalId ?? ''}`);
    const runsWhilePending = (await runsOf('suspicious-file')).filter((run) => run.createdBy === 'automation:script-for-review');
    const presentWhilePending = await present(file);
    const approved = await asPerson<Approval>('approver-2', 'POST', `/v1/approvals/${decision.approvalId ?? ''}/approve`, { reason: 'looks malicious' });
    const finished = await runEnded(service, approved.body.playbookRunId ?? '');
    const steps = await stepActions(service, finished);

    // Assess
    expect(answer.status).toBe(202);
    expect(decision).toMatchObject({ ruleId: 'script-for-review', outcome: 'awaiting-approval', actionIds: [], playbookRunId: null });
    expect((decision.plan as PlaybookPlan | null)?.steps.map((step) => step.type)).toEqual(['acquire-file', 'file-quarantine']);
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({
      status: 'pending',
      request: { playbook: 'suspicious-file', inputs: { 'host.id': host, 'path.absolute': file } },
      requestedBy: 'automation:script-for-review',
      trigger: { source: 'falco', findingType: approvalType, ruleId: 'script-for-review', approvedBy: null },
      playbookRunId: null,
    });
    expect(runsWhilePending).toEqual([]);
    expect(presentWhilePending).toBe(true);
    expect(approved.status).toBe(202);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: 'approver-2', playbookRunId: finished.id });
    expect(finished.status, JSON.stringify(finished)).toBe('Completed');
    expect(finished.createdBy).toBe('automation:script-for-review');
    expect(finished.trigger).toMatchObject({ ruleId: 'script-for-review', approvedBy: 'approver-2' });
    expect(steps.map((record) => [record.type, record.playbookRunId, record.trigger?.approvedBy])).toEqual([
      ['acquire-file', finished.id, 'approver-2'],
      ['file-quarantine', finished.id, 'approver-2'],
    ]);
    expect((steps[0]?.result as { sha256?: unknown } | null)?.sha256).toBe(sha256(content));
    expect(await present(file)).toBe(false);
  });

  it('a finding naming a symbolic link (planted to point at another file): acquire-file refuses it, the run stops before quarantining, and the file it points to stays', async () => {
    // Prepare: the link is where the alert says the write was; what it points to is what a quarantine would take away
    const victim = join(dir, 'victim.conf');
    await writeFile(victim, 'keep me\n');
    const link = join(dir, 'planted-link');
    await symlink(victim, link);

    // Act
    const decision = onlyDecision(await postAlert(await falcoAlert(enforceType, link)));
    const finished = await runEnded(service, decision.playbookRunId ?? '');
    const actions = await stepActions(service, finished);

    // Assess
    expect(decision.outcome).toBe('executed');
    expect(finished.status).toBe('Error');
    expect(finished.error?.code).toBe('StepFailed');
    expect(finished.error?.message).toContain('step acquire (acquire-file) failed: NotARegularFile');
    expect(finished.steps.map((step) => [step.id, step.status])).toEqual([['acquire', 'Error'], ['quarantine', 'Skipped']]);
    expect(actions.map((record) => [record.type, record.error?.code])).toEqual([['acquire-file', 'NotARegularFile']]);
    expect(await readFile(victim, 'utf8')).toBe('keep me\n');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });

  it('a finding whose path climbs out with .. segments starts no run: unmapped, naming path.absolute, and nothing is written', async () => {
    // Prepare
    const victim = join(dir, 'outside.conf');
    await writeFile(victim, 'untouched\n');
    // Not join(): it would take the .. out; Falco reports the path as the process opened it
    const climbing = `${dir}/drop/../outside.conf`;
    const runsBefore = (await runsOf('suspicious-file')).length;

    // Act
    const answer = await postAlert(await falcoAlert(enforceType, climbing));
    const decision = onlyDecision(answer);

    // Assess
    expect(answer.status).toBe(202);
    expect(decision).toMatchObject({ ruleId: 'binary-dropped', actionIds: [], approvalId: null, playbookRunId: null });
    expect(decision.outcome).toBe('unmapped');
    // The normaliser keeps no path it would not act on, so the host resource has none to give
    expect(decision.reason).toContain('lacks path.absolute');
    expect((await runsOf('suspicious-file')).length).toBe(runsBefore);
    expect(await readFile(victim, 'utf8')).toBe('untouched\n');
  });
});
