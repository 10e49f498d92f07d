import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kubernetesResource } from '#shared/catalogue/resource-keys.ts';
import { systemClock } from '#shared/clock.ts';
import { createdRecord, type Trigger } from '#shared/history/record.ts';
import { createLogger } from '#shared/log.ts';
import { createDispatchWorkHandler } from '#shared/responders/dispatch.ts';
import type { WorkOrder, WorkTarget } from '#shared/responders/protocol.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import { TrustedWorkKeys, UntrustedWorkError, generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { freshHistory } from '#test/support/history-store.ts';

const dynalite = useDynalite();
const signingKey = workSigningKeyFromJwk(generateWorkSigningJwk());
const inputs = { 'kubernetes.cluster.name': 'prod-eu-1', 'kubernetes.namespace.name': 'shop', 'kubernetes.pod.name': 'web-1' };
const ruleTrigger: Trigger = {
  source: 'guardduty',
  eventId: 'event-1',
  findingId: 'finding-1',
  findingType: 'Execution:Runtime/NewBinaryExecuted',
  ruleId: 'guardduty-eks-delete-pod',
  approvedBy: null,
};

/**
 * Dispatches one recorded action as the state machine's Dispatch state would, over the real history
 * and responder store on dynalite; the queue is a port that keeps the signed body (the order is what this is about).
 */
async function dispatched(trigger: Trigger | null): Promise<string> {
  const { repository, client, tableName } = await freshHistory(dynalite.endpoint, systemClock);
  const record = createdRecord(
    {
      id: randomUUID(),
      type: 'delete-pod',
      category: 'containment',
      executor: 'kubernetes',
      inputs,
      resources: [kubernetesResource('prod-eu-1', 'shop', 'pod', 'web-1')],
      createdBy: trigger?.ruleId == null ? 'alice' : `automation:${trigger.ruleId}`,
      undoType: null,
      trigger,
    },
    new Date(),
  );
  await repository.create(record);
  const sent: string[] = [];
  const queues = {
    send: (_target: WorkTarget, body: string): Promise<string> => {
      sent.push(body);
      return Promise.resolve(`message-${String(sent.length)}`);
    },
  };
  const handler = createDispatchWorkHandler({ repository, store: new ResponderStore({ client, tableName, clock: systemClock }), queues, signingKey, clock: systemClock, logger: createLogger(() => undefined) });
  await handler({ step: 'dispatch', actionId: record.id, taskToken: 'task-token', deadlines: { pickupSeconds: 60, completionSeconds: 600 } });
  const [body] = sent;
  if (body === undefined) throw new Error('nothing was sent');
  return body;
}

const trusted = new TrustedWorkKeys([signingKey.publicJwk]);

describe('the rule flag in the signed work order', () => {
  it('carries the rule id of a rule-created action inside the signed payload, and none for a person’s', async () => {
    // Act
    const ruleWork = await trusted.verify(await dispatched(ruleTrigger));
    const personWork = await trusted.verify(await dispatched(null));
    const approvedWork = await trusted.verify(await dispatched({ source: 'person', eventId: null, findingId: null, findingType: null, ruleId: null, approvedBy: 'bob' }));

    // Assess
    expect(ruleWork.ruleId).toBe('guardduty-eks-delete-pod');
    expect(personWork).not.toHaveProperty('ruleId');
    expect(approvedWork).not.toHaveProperty('ruleId');
  });

  it('cannot be stripped or changed without breaking the signature', async () => {
    // Prepare
    const signed = await dispatched(ruleTrigger);
    const [header = '', payload = '', signature = ''] = signed.split('.');
    const order = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as WorkOrder;
    const { ruleId: _removed, ...stripped } = order;
    const reencode = (value: unknown): string => `${header}.${Buffer.from(JSON.stringify(value)).toString('base64url')}.${signature}`;

    // Act
    const attempts = [reencode(stripped), reencode({ ...order, ruleId: 'another-rule' })].map((work) => trusted.verify(work).then(() => null, (error: unknown) => error));

    // Assess
    for (const error of await Promise.all(attempts)) {
      expect(error).toBeInstanceOf(UntrustedWorkError);
      expect((error as UntrustedWorkError).reason).toBe('signature');
    }
  });
});
