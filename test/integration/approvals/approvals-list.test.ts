import { beforeEach, describe, expect, it } from 'vitest';
import type { Approval } from '#shared/approvals/types.ts';
import { FixedClock } from '#shared/clock.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { approvalWorld, bothExec, type ApprovalWorld, type Person } from './approval-harness.ts';

const dynalite = useDynalite();
const alice: Person = { sub: 'alice', scopes: bothExec };
const bob: Person = { sub: 'bob', scopes: bothExec };

interface Page {
  items: Approval[];
  nextCursor: string | null;
}

interface Problem {
  errors?: { path: string; message: string }[];
}

let clock: FixedClock;
let world: ApprovalWorld;

beforeEach(async () => {
  clock = new FixedClock('2026-10-31T23:59:58.000Z');
  world = await approvalWorld(dynalite.endpoint, clock, { approvalRequired: ['host/*'] });
});

/** `count` approvals a second apart, across a month boundary (all pending: the TTL is an hour); newest first. */
async function approvals(count: number): Promise<Approval[]> {
  const made: Approval[] = [];
  for (let index = 0; index < count; index += 1) {
    const answer = await world.call<{ approval: Approval }>('POST', '/v1/actions', alice, {
      type: 'kill-process',
      inputs: { 'host.id': `web-${String(index)}`, 'process.id': 100 + index },
    });
    made.unshift(answer.body.approval);
    clock.advance(1000);
  }
  return made;
}

async function allPages(query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page: Page = (await world.call<Page>('GET', `/v1/approvals?${query}${suffix}`, bob)).body;
    expect(page.items.length).toBeLessThanOrEqual(2);
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

describe('GET /v1/approvals', () => {
  it('pages newest first with cursors, across months, filtered by status', async () => {
    // Prepare
    const made = await approvals(5);
    const [newest, , middle] = made;
    await world.call('POST', `/v1/approvals/${newest?.id ?? ''}/approve`, bob);
    await world.call('POST', `/v1/approvals/${middle?.id ?? ''}/reject`, bob);

    // Act
    const everything = await allPages('limit=2');
    const pending = await allPages('status=pending&limit=2');
    const approved = (await world.call<Page>('GET', '/v1/approvals?status=approved', bob)).body;
    const rejected = (await world.call<Page>('GET', '/v1/approvals?status=rejected', bob)).body;

    // Assess
    expect(everything).toEqual(made.map((approval) => approval.id));
    expect(pending).toEqual(made.filter((approval) => approval !== newest && approval !== middle).map((approval) => approval.id));
    expect(approved.items.map((item) => [item.id, item.status])).toEqual([[newest?.id, 'approved']]);
    expect(rejected.items.map((item) => [item.id, item.status])).toEqual([[middle?.id, 'rejected']]);
    expect(approved.nextCursor).toBeNull();
  });

  it('refuses a cursor that was altered or belongs to another filter, and a status that is none, naming the parameter', async () => {
    // Prepare
    await approvals(3);
    const first = (await world.call<Page>('GET', '/v1/approvals?limit=1', bob)).body;
    const cursor = first.nextCursor ?? '';

    // Act
    const tampered = await world.call<Problem>('GET', `/v1/approvals?limit=1&cursor=${encodeURIComponent(`${cursor.slice(0, -2)}AA`)}`, bob);
    const foreign = await world.call<Problem>('GET', `/v1/approvals?status=approved&cursor=${encodeURIComponent(cursor)}`, bob);
    const status = await world.call<Problem>('GET', '/v1/approvals?status=open', bob);
    const unknown = await world.call<Problem>('GET', '/v1/approvals?requestedBy=alice', bob);

    // Assess
    expect([tampered.status, foreign.status, status.status, unknown.status]).toEqual([400, 400, 400, 400]);
    expect(tampered.body.errors?.map((error) => error.path)).toEqual(['cursor']);
    expect(foreign.body.errors?.map((error) => error.path)).toEqual(['cursor']);
    expect(status.body.errors?.map((error) => error.path)).toEqual(['status']);
    expect(unknown.body.errors?.map((error) => error.path)).toEqual(['requestedBy']);
  });

  it('needs a category scope (403), and lists nothing of the categories the caller cannot read', async () => {
    // Prepare
    await approvals(1);

    // Act
    const responder = await world.call('GET', '/v1/approvals', { sub: 'node-1', scopes: ['response-actions.events'] });
    const dataOnly = await world.call<Page>('GET', '/v1/approvals', { sub: 'dora', scopes: ['data-gathering-response-actions.read'] });

    // Assess
    expect(responder.status).toBe(403);
    expect(dataOnly.body).toEqual({ items: [], nextCursor: null });
  });

  it('keeps approvals out of the action history', async () => {
    // Prepare
    await approvals(2);

    // Act
    const history = await world.call<{ items: unknown[] }>('GET', '/v1/actions', bob);
    const byStatus = await world.call<{ items: unknown[] }>('GET', '/v1/actions?status=Created', bob);

    // Assess
    expect(history.body.items).toEqual([]);
    expect(byStatus.body.items).toEqual([]);
  });
});
