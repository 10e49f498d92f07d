import type { TrailEvent } from './entry.ts';

/** Where trail events go: the DATA_DIR file locally (local/evidence/file-trail.ts), the evidence bucket in AWS (s3-trail.ts). */
export interface TrailAppender {
  /** Appends the events in order, durably, before resolving. */
  append(events: readonly TrailEvent[]): Promise<void>;
}
