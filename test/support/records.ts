import { randomUUID } from 'node:crypto';
import type { Category, Executor } from '#shared/catalogue/types.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';

export interface RecordFixture {
  readonly type?: string;
  readonly category?: Category;
  readonly executor?: Executor;
  readonly resources?: readonly string[];
  readonly createdBy?: string;
  readonly undoType?: string | null;
  readonly at: Date | string;
}

/** A Created record with sensible defaults; resource kinds are not what these tests are about. */
export function recordFixture(fixture: RecordFixture): ActionRecord {
  const resources = fixture.resources ?? ['arn:aws:iam::111122223333:user/alice'];
  return createdRecord(
    {
      id: randomUUID(),
      type: fixture.type ?? 'iam-quarantine',
      category: fixture.category ?? 'containment',
      executor: fixture.executor ?? 'cloud',
      inputs: { 'aws.resource.arn': resources[0] },
      reason: 'test',
      resources: resources.map((key) => ({ key, kind: 'aws.iam.user' })),
      createdBy: fixture.createdBy ?? 'analyst-1',
      undoType: fixture.undoType === undefined ? 'iam-unquarantine' : fixture.undoType,
    },
    new Date(fixture.at),
  );
}
