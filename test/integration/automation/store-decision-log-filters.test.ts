/**
 * The decision log's filters as a reader may send them (GET /v1/events, any read scope): a value
 * too long for a DynamoDB key is a 400 naming the filter, never a 500 from the store.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoDecisionLog } from '#shared/automation/store/index.ts';
import { FixedClock } from '#shared/clock.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { freshHistory } from '#test/support/history-store.ts';

const dynalite = useDynalite();

describe('DynamoDecisionLog: filters a key cannot hold', () => {
  it.each([
    ['findingId', { findingId: '€'.repeat(1024) }],
    ['ruleId', { ruleId: '€'.repeat(1024) }],
  ])('refuses a %s of 1024 three-byte characters as invalid input', async (name, query) => {
    // Prepare
    const clock = new FixedClock(new Date('2026-05-20T12:00:00Z'));
    const { tableName, client } = await freshHistory(dynalite.endpoint, clock);
    const log = new DynamoDecisionLog({ client, tableName, clock, cursors: new CursorCodec(randomBytes(32)) });
    await log.record([
      { id: 'd-1', eventId: 'e-1', receivedAt: '2026-05-20T11:00:00Z', source: 'guardduty', findingId: 'f-1', findingType: 'Recon:EC2/PortProbeUnprotectedPort', ruleId: 'r-1', outcome: 'executed', reason: 'r', actionIds: [], approvalId: null, playbookRunId: null },
    ]);

    // Act
    const listed = log.list(query);

    // Assess
    await expect(listed).rejects.toBeInstanceOf(InvalidInputError);
    await expect(listed).rejects.toMatchObject({ errors: [{ path: name }] });
  });
});
