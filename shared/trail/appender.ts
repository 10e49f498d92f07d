/**
 * Where writers hand trail events, and what happens when the trail cannot take them.
 *
 * A writer appends after its table write succeeded (the digest is of the record as written).
 * Should the append still fail after its retries, the record stays written (an incident
 * response is not stopped by its audit log), the events are logged at error level in full (ids,
 * actor and digests: no secret is ever in an event), and `npm run verify-trail` reports the
 * record as one whose state has no trail entry until someone looks: nothing is dropped silently.
 */
import { logger } from '#shared/log.ts';
import { checkEvent, type TrailEvent } from './entry.ts';
import type { TrailAppender } from './trail-appender.ts';
import { environmentTrail } from './trail-from-env.ts';

export type { TrailAppender } from './trail-appender.ts';

const attempts = 4;

/** Appends with bounded retries; on a last failure logs the events (see above) instead of throwing. */
export async function appendToTrail(trail: TrailAppender | null, events: readonly TrailEvent[]): Promise<void> {
  if (trail === null || events.length === 0) return;
  let checked: TrailEvent[];
  try {
    checked = events.map(checkEvent);
  } catch (error) {
    // A writer's bug, not the trail's: the write stands, and is reported the same way.
    logger.error('a trail event was malformed: these writes are in the table without their trail entries, and verify-trail reports them', { error, events });
    return;
  }
  for (let attempt = 1; ; attempt += 1) {
    try {
      await trail.append(checked);
      return;
    } catch (error) {
      if (attempt >= attempts) {
        logger.error('the trail append failed: these writes are in the table without their trail entries, and verify-trail reports them', {
          error,
          events: checked,
        });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

/**
 * Which trail a store's writes go to. The composition root binds the trail to the DynamoDB
 * client it hands the stores (the local service: its DATA_DIR trail), so stores built anywhere
 * from that client append to it; otherwise the process's trail from its environment (TRAIL_BUCKET,
 * set on every function granted the trail: trail-from-env.ts), else none (tests and tools that
 * keep no trail).
 */
const bound = new WeakMap<object, TrailAppender>();

export function bindTrail(client: object, trail: TrailAppender): void {
  bound.set(client, trail);
}

export function trailFor(client: object): TrailAppender | null {
  return bound.get(client) ?? environmentTrail();
}
