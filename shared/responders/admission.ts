import type { ValidActionRequest } from '#shared/catalogue/validate.ts';
import { ConflictError } from '#shared/errors.ts';
import type { ResponderKind, WorkTarget } from './protocol.ts';
import { workTargetOf } from './target.ts';

/** The registered responders: one looked up by its key, and the first names of a kind (named in a refusal). */
export interface RegisteredResponders {
  isRegistered(target: WorkTarget): Promise<boolean>;
  /** The first `atMost` names of `kind`'s registrations, in the store's key order. */
  names(kind: ResponderKind, atMost: number): Promise<readonly string[]>;
}

/** At most this many known responders are named in a refusal (GET /v1/responders lists them). */
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
  // Read by the target's kind and only as many as are named (one more, to say there are more): a fleet of thousands of
  // hosts neither hides the clusters from a cluster's refusal nor makes every refusal read a thousand registrations.
  const known = await registered.names(target.kind, namedAtMost + 1);
  const field = target.kind === 'host' ? 'host.id' : 'kubernetes.cluster.name';
  const listed = known.length === 0 ? 'none' : known.slice(0, namedAtMost).join(', ') + (known.length > namedAtMost ? ', and more' : '');
  const what = target.kind === 'host' ? 'host' : 'cluster';
  const message = `no responder has registered for ${what} ${JSON.stringify(target.name)}; the ${what}s with a responder are: ${listed} (GET /v1/responders)`;
  throw new ConflictError(
    `${message}. Start a responder on that ${what}, or set QUEUE_FOR_UNREGISTERED_RESPONDERS=true to queue work for it until its pickup deadline`,
    { errors: [{ path: `inputs.${field}`, message }] },
  );
}
