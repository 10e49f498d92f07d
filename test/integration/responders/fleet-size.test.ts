/**
 * A fleet larger than GET /v1/responders lists (1,000): against moto_server's DynamoDB, 1,001
 * registrations. Work for the last one is admitted (a point read, not a search of the first
 * page of the list), work for a host nobody registered is still refused with 409 naming the
 * input, and the sweep's walk sees every registration.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { systemClock } from '#shared/clock.ts';
import { ConflictError } from '#shared/errors.ts';
import { admitResponderWork, type RegisteredResponders } from '#shared/responders/admission.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import { freshHistory } from '#test/support/history-store.ts';

const fleet = 1001;
const hostName = (index: number): string => `fleet-${String(index).padStart(5, '0')}`;
let store: ResponderStore;
let registered: RegisteredResponders;

beforeAll(async () => {
  const history = await freshHistory(inject('motoEndpoint'), systemClock);
  store = new ResponderStore({ client: history.client, tableName: history.tableName, clock: systemClock });
  for (let start = 0; start < fleet; start += 50) {
    const batch = Array.from({ length: Math.min(50, fleet - start) }, (_, offset) => hostName(start + offset));
    await Promise.all(batch.map((name) => store.register({ kind: 'host', name, version: '1', capabilities: ['file-quarantine'] }, 'test')));
  }
  await store.register({ kind: 'kubernetes', name: 'prod-eu-1', version: '1', capabilities: ['rollout-restart'] }, 'test');
  registered = { isRegistered: async (target) => (await store.get(target)) !== null, names: (kind, atMost) => store.names(kind, atMost) };
}, 120_000);

const work = (host: string) => ({ executor: 'host' as const, inputs: { 'host.id': host, 'path.absolute': '/tmp/x' } });

describe('a fleet larger than one listing', () => {
  it('admits work for the last registered host, which the listing leaves out', async () => {
    // Act
    const listed = await store.list();
    const admitted = await admitResponderWork(registered, work(hostName(fleet - 1)), false).then(() => true);

    // Assess
    expect(listed).toHaveLength(1000);
    expect(listed.map((record) => record.name)).not.toContain(hostName(fleet - 1));
    expect(admitted).toBe(true);
  });

  it('still refuses work for a host nobody registered, naming the input', async () => {
    // Act
    const refusal = await admitResponderWork(registered, work('fleet-unknown'), false).then(() => null, (error: unknown) => error);

    // Assess
    expect(refusal).toBeInstanceOf(ConflictError);
    expect((refusal as ConflictError).errors?.map((error) => error.path)).toEqual(['inputs.host.id']);
  });

  it("names the registered cluster in a cluster's refusal, and says the hosts go on past the first fifty", async () => {
    // Act: the registrations hold more hosts than one listing, and the cluster sorts after every host.
    const clusterRefusal = await admitResponderWork(registered, { executor: 'kubernetes', inputs: { 'kubernetes.cluster.name': 'prod-us-9' } }, false).then(
      () => null,
      (error: unknown) => error,
    );
    const hostRefusal = await admitResponderWork(registered, work('fleet-unknown'), false).then(() => null, (error: unknown) => error);

    // Assess
    expect(clusterRefusal).toBeInstanceOf(ConflictError);
    expect((clusterRefusal as ConflictError).errors).toEqual([
      { path: 'inputs.kubernetes.cluster.name', message: 'no responder has registered for cluster "prod-us-9"; the clusters with a responder are: prod-eu-1 (GET /v1/responders)' },
    ]);
    const hostMessage = (hostRefusal as ConflictError).errors?.[0]?.message ?? '';
    expect(hostMessage).toContain(`are: ${hostName(0)}, ${hostName(1)}, `);
    expect(hostMessage).toContain(`${hostName(49)}, and more (GET /v1/responders)`);
    expect(hostMessage).not.toContain(hostName(50));
  });

  it('walks every registration for the sweep', async () => {
    // Act
    const names: string[] = [];
    const clusters: string[] = [];
    for await (const record of store.all()) (record.kind === 'host' ? names : clusters).push(record.name);

    // Assess
    expect(names).toHaveLength(fleet);
    expect(new Set(names).size).toBe(fleet);
    expect(clusters).toEqual(['prod-eu-1']);
  });
});
