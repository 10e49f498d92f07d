import type { ValidActionRequest } from '#shared/catalogue/validate.ts';
import { ConflictError } from '#shared/errors.ts';
import type { ResponderRecord, WorkTarget } from './protocol.ts';
import { workTargetOf } from './target.ts';

/** The registered responders: one looked up by its key, and the list GET /v1/responders gives (named in a refusal). */
export interface RegisteredResponders {
  isRegistered(target: WorkTarget): Promise<boolean>;
  list(): Promise<readonly ResponderRecord[]>;
}

/** At most this many known responders are named in a refusal (GET /v1/responders lists them all). */
const namedAtMost = 50;

/**
 * Host and Kubernetes work for a host or cluster no responder has registered (or whose responder
 * the retention sweep removed) is refused before anything is written: 409 naming the input and
 * the responders that are known, instead of an action that waits out its pickup deadline. With
 * QUEUE_FOR_UNREGISTERED_RESPONDERS=true the work is queued anyway, for a responder that registers
 * within the pickup deadline (PICKUP_DEADLINE_SECONDS).
 */
export async function admitResponderWork(
  registered: RegisteredResponders,
  valid: Pick<ValidActionRequest, 'executor' | 'inputs'>,
  queueForUnregistered: boolean,
): Promise<void> {
  if (queueForUnregistered || (valid.executor !== 'host' && valid.executor !== 'kubernetes')) return;
  const target = workTargetOf({ id: 'new', executor: valid.executor, inputs: valid.inputs });
  // A point read, so a fleet larger than the list GET /v1/responders gives is admitted as well.
  if (await registered.isRegistered(target)) return;
  const known = await registered.list();
  const field = target.kind === 'host' ? 'host.id' : 'kubernetes.cluster.name';
  const sameKind = known.filter((responder) => responder.kind === target.kind).map((responder) => responder.name).sort();
  const listed = sameKind.length === 0 ? 'none' : sameKind.slice(0, namedAtMost).join(', ') + (sameKind.length > namedAtMost ? `, and ${String(sameKind.length - namedAtMost)} more` : '');
  const what = target.kind === 'host' ? 'host' : 'cluster';
  const message = `no responder has registered for ${what} ${JSON.stringify(target.name)}; the ${what}s with a responder are: ${listed} (GET /v1/responders)`;
  throw new ConflictError(
    `${message}. Start a responder on that ${what}, or set QUEUE_FOR_UNREGISTERED_RESPONDERS=true to queue work for it until its pickup deadline`,
    { errors: [{ path: `inputs.${field}`, message }] },
  );
}
