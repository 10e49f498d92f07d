import type { ActionRecord } from './record.ts';
import type { ActionStatus } from './status.ts';

/** What a history read asks for: the filters, the page size and where to continue. */
export interface HistoryQuery {
  readonly resource?: string;
  readonly type?: string;
  readonly status?: ActionStatus;
  readonly createdBy?: string;
  /** Inclusive bounds on creation time, RFC 3339. */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface HistoryPage {
  readonly items: ActionRecord[];
  readonly nextCursor: string | null;
}
