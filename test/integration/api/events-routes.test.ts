/**
 * The findings-in routes as `npm start` serves them (startLocalService: real routes, real JWT
 * verification, the automation on the embedded DynamoDB): who may post which finding, the
 * listing's and the rules' routes, and that a refused request records nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '#local/service.ts';
import type { EventsGrant } from '#shared/auth/scopes.ts';

const fixtures = new URL('../../fixtures/findings/', import.meta.url).pathname;
const falcoAlert = JSON.parse(await readFile(join(fixtures, 'written/falco-host-sensitive-file.json'), 'utf8')) as Record<string, unknown>;

let dataDir: string;
let service: LocalService;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'events-routes-'));
  service = await startLocalService({ dataDir, port: 0, env: {}, hostResponder: false });
});
afterAll(async () => {
  await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

const token = (scopes: string[], events?: EventsGrant[], sub = 'tester'): Promise<string> =>
  service.issuer.issue({ sub, scopes, ...(events === undefined ? {} : { events }) });

async function call(method: string, path: string, bearer: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function decisionsRecorded(): Promise<unknown[]> {
  const listed = await call('GET', '/v1/events?limit=200', await token(['containment-response-actions.read']));
  expect(listed.status).toBe(200);
  return listed.body['items'] as unknown[];
}

describe('POST /v1/events', () => {
  it('refuses (403) a token without the events scope, whatever the body, and records nothing', async () => {
    // Arrange
    const before = (await decisionsRecorded()).length;

    // Act
    const analyst = await call('POST', '/v1/events', await token(['containment-response-actions.exec']), falcoAlert);
    const malformedByAnalyst = await call('POST', '/v1/events', await token(['containment-response-actions.exec']), { rule: 42 });

    // Assess
    expect(analyst.status).toBe(403);
    expect(malformedByAnalyst.status).toBe(403);
    expect((await decisionsRecorded()).length).toBe(before);
  });

  it('takes a Falco alert only from a token bound to the alert\'s own host', async () => {
    // Arrange
    const before = (await decisionsRecorded()).length;
    const otherHost = await token(['response-actions.events'], [{ source: 'falco', hostname: 'node-8' }]);
    const awsOnly = await token(['response-actions.events'], [{ source: 'guardduty' }]);
    const ownHost = await token(['response-actions.events'], [{ source: 'falco', hostname: 'build-host-3' }]);

    // Act
    const forged = await call('POST', '/v1/events', otherHost, falcoAlert);
    const wrongSource = await call('POST', '/v1/events', awsOnly, falcoAlert);
    const accepted = await call('POST', '/v1/events', ownHost, falcoAlert);

    // Assess
    expect(forged.status).toBe(403);
    expect(forged.body['detail']).toContain('host build-host-3');
    expect(wrongSource.status).toBe(403);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ source: 'falco', findings: [{ findingType: falcoAlert['rule'] }] });
    const decided = (accepted.body['findings'] as { decisions: unknown[] }[])[0]?.decisions.length ?? 0;
    expect((await decisionsRecorded()).length).toBe(before + decided);
  });

  it('answers a malformed event with 400 naming the field, and records nothing', async () => {
    // Arrange
    const before = (await decisionsRecorded()).length;
    const { hostname: _dropped, ...withoutHostname } = falcoAlert;
    const events = await token(['response-actions.events']);

    // Act
    const badPriority = await call('POST', '/v1/events', events, { ...falcoAlert, priority: 'Apocalyptic' });
    const neither = await call('POST', '/v1/events', events, { hello: 'world' });
    const noHost = await call('POST', '/v1/events', await token(['response-actions.events'], [{ source: 'falco', hostname: 'build-host-3' }]), withoutHostname);

    // Assess
    expect(badPriority.status).toBe(400);
    expect(JSON.stringify(badPriority.body['errors'])).toContain('priority');
    expect(neither.status).toBe(400);
    expect(noHost.status).toBe(403);
    expect((await decisionsRecorded()).length).toBe(before);
  });
});

describe('plans in the answer', () => {
  it('shows a dry-run plan\'s state and calls only to a sender who may read the action\'s category', async () => {
    // Arrange: two deliveries of the alert as two findings (their own uuid), so neither is a duplicate
    const alert = (uuid: string): Record<string, unknown> => ({ ...falcoAlert, uuid, time: `2026-12-05T11:0${uuid.slice(-1)}:00.000000000Z` });
    const sidekick = await token(['response-actions.events']);
    const sidekickThatReads = await token(['response-actions.events', 'containment-response-actions.read']);

    // Act
    const blind = await call('POST', '/v1/events', sidekick, alert('c1a7d0e4-0000-4000-8000-000000000011'));
    const seeing = await call('POST', '/v1/events', sidekickThatReads, alert('c1a7d0e4-0000-4000-8000-000000000012'));

    // Assess
    const planOf = (answer: Record<string, unknown>) =>
      (answer['findings'] as { decisions: { outcome: string; plan: { allowed: boolean; changes: unknown[]; prior: unknown; undo: unknown } | null }[] }[])[0]?.decisions.find(
        (decision) => decision.outcome === 'planned',
      )?.plan;
    expect(blind.status).toBe(202);
    expect(planOf(blind.body)).toMatchObject({ allowed: true, changes: [], prior: null, undo: null });
    expect(seeing.status).toBe(202);
    expect(planOf(seeing.body)?.changes.length).toBeGreaterThan(0);
  });
});

describe('GET /v1/events', () => {
  it('names each bad filter (400) and needs a read scope (403)', async () => {
    // Arrange
    const reader = await token(['data-gathering-response-actions.read']);

    // Act
    const bad = await call('GET', '/v1/events?outcome=maybe&from=yesterday&limit=0&colour=red', reader);
    const eventsOnly = await call('GET', '/v1/events', await token(['response-actions.events']));

    // Assess
    expect(bad.status).toBe(400);
    expect((bad.body['errors'] as { path: string }[]).map((error) => error.path).sort()).toEqual(['colour', 'from', 'limit', 'outcome']);
    expect(eventsOnly.status).toBe(403);
  });

  it('filters by finding id and outcome, newest first', async () => {
    // Arrange
    const alert = { ...falcoAlert, uuid: 'c1a7d0e4-0000-4000-8000-000000000001', time: '2026-12-05T10:00:00.000000000Z' };
    const posted = await call('POST', '/v1/events', await token(['response-actions.events']), alert);
    const findingId = (posted.body['findings'] as { findingId: string }[])[0]?.findingId ?? '';

    // Act
    const listed = await call('GET', `/v1/events?findingId=${encodeURIComponent(findingId)}`, await token(['containment-response-actions.read']));

    // Assess
    expect(posted.status).toBe(202);
    const items = listed.body['items'] as { findingId: string; eventId: string }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => item.findingId === findingId && item.eventId === posted.body['eventId'])).toBe(true);
  });
});

describe('automation rules', () => {
  it('lists the shipped default set, every rule in dry-run with its breaker closed, and the file\'s SHA-256', async () => {
    // Act
    const listed = await call('GET', '/v1/automation-rules', await token(['containment-response-actions.read']));

    // Assess
    expect(listed.status).toBe(200);
    expect(listed.body['origin']).toBe('default');
    expect(listed.body['sha256']).toMatch(/^[0-9a-f]{64}$/);
    const rules = listed.body['rules'] as { mode: string; state: { tripped: boolean } }[];
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.every((rule) => rule.mode === 'dry-run' && !rule.state.tripped)).toBe(true);
  });

  it('resets a rule only for the exec scope of its action\'s category; an unknown rule is 404', async () => {
    // Arrange
    const listed = await call('GET', '/v1/automation-rules', await token(['containment-response-actions.read']));
    const containmentRule = (listed.body['rules'] as { id: string; run: { action?: string } }[]).find((rule) => rule.run.action === 'iam-quarantine');
    const id = containmentRule?.id ?? 'missing';

    // Act
    const reader = await call('POST', `/v1/automation-rules/${id}/reset`, await token(['containment-response-actions.read']), {});
    const otherCategory = await call('POST', `/v1/automation-rules/${id}/reset`, await token(['data-gathering-response-actions.exec']), {});
    const unknown = await call('POST', '/v1/automation-rules/no-such-rule/reset', await token(['containment-response-actions.exec']), {});
    const reset = await call('POST', `/v1/automation-rules/${id}/reset`, await token(['containment-response-actions.exec']), { reason: 'checked' });

    // Assess
    expect([reader.status, otherCategory.status, unknown.status, reset.status]).toEqual([403, 403, 404, 200]);
    expect(reset.body).toMatchObject({ id, state: { tripped: false } });
  });
});

describe('EVENTS_HTTP_SOURCES (AWS takes GuardDuty and Security Hub only through EventBridge)', () => {
  it('refuses (403) a source the route does not take, recording nothing, and takes the others', async () => {
    // Arrange
    const otherDir = await mkdtemp(join(tmpdir(), 'events-routes-sources-'));
    const narrowed = await startLocalService({ dataDir: otherDir, port: 0, env: { EVENTS_HTTP_SOURCES: 'falco' }, hostResponder: false });
    const guardDutyEvent = JSON.parse(await readFile(join(fixtures, 'written/guardduty-credential-access-iam-user.json'), 'utf8')) as unknown;
    try {
      const events = await narrowed.issuer.issue({ sub: 'forwarder', scopes: ['response-actions.events'] });
      const reader = await narrowed.issuer.issue({ sub: 'analyst', scopes: ['containment-response-actions.read'] });
      const post = (body: unknown): Promise<Response> =>
        fetch(`${narrowed.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${events}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

      // Act
      const forged = await post(guardDutyEvent);
      const falco = await post(falcoAlert);

      // Assess
      expect(forged.status).toBe(403);
      expect(((await forged.json()) as { detail: string }).detail).toContain('EventBridge');
      expect(falco.status).toBe(202);
      const listed = (await (await fetch(`${narrowed.url}/v1/events`, { headers: { authorization: `Bearer ${reader}` } })).json()) as { items: { source: string }[] };
      expect(listed.items.every((item) => item.source === 'falco')).toBe(true);
    } finally {
      await narrowed.close();
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a source it does not know, naming the variable', async () => {
    // Arrange
    const otherDir = await mkdtemp(join(tmpdir(), 'events-routes-sources-'));
    try {
      // Act / Assess
      await expect(startLocalService({ dataDir: otherDir, port: 0, env: { EVENTS_HTTP_SOURCES: 'falco,cloudtrail' }, hostResponder: false })).rejects.toThrow(
        /EVENTS_HTTP_SOURCES.*cloudtrail/,
      );
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
