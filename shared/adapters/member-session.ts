import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { CloudActionError, MemberRoleUnavailableError, ThrottlingError, awsWords, fromAwsError } from '#shared/actions/errors.ts';
import type { Partition } from '#shared/catalogue/index.ts';
import { systemClock, type Clock } from '#shared/clock.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';

/** Temporary credentials of a member role (the shape every SDK client accepts as `credentials`). */
export interface MemberCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Clients are destroyed with the session that signs them, so sockets never outlive credentials. */
export type SessionClients = Readonly<Record<string, { destroy(): void }>>;

/** A family's member role assumed in one target account, for one action. */
export interface MemberSession {
  readonly accountId: string;
  readonly partition: Partition;
  readonly roleArn: string;
  readonly credentials: MemberCredentials;
  /** Clients for this session, created once under `key` and reused while the session lasts. */
  clients<Clients extends SessionClients>(key: string, create: () => Clients): Clients;
}

export interface MemberSessionRequest {
  readonly accountId: string;
  readonly partition: Partition;
  /**
   * The cloud action family whose own member role is assumed (`<MEMBER_ROLE_NAME>-<family>`), or
   * `exemptions`: the role that only reads exemption tags for automation rules.
   */
  readonly family: string;
  /** Named in the role session, so the target account's CloudTrail says which action made each call. */
  readonly actionId: string;
}

/** Where steps get member-account sessions; tests may hand in their own. */
export interface MemberSessionSource {
  sessionFor(request: MemberSessionRequest): Promise<MemberSession>;
}

export interface StsMemberSessionsOptions {
  /**
   * STS in the service's own account. Create it without an endpoint: the SDK then follows
   * AWS_ENDPOINT_URL by itself, as every target-account call must (API.md).
   */
  readonly sts: STSClient;
  /** MEMBER_ROLE_NAME: each family's role is `memberRoleNameOf(roleName, family)`. */
  readonly roleName: string;
  readonly externalId: string | null;
  readonly clock?: Clock;
  /** Requested session length; 900 s (the minimum) keeps stolen credentials short-lived. */
  readonly durationSeconds?: number;
  /** A session this close to expiry is replaced rather than reused. */
  readonly refreshMarginSeconds?: number;
  /**
   * Sessions kept at most (64 unless given); the least recently used are dropped (and their clients
   * destroyed) beyond it. A process running more actions at once than this assumes their roles
   * again at later steps: the local runtime, which runs many, should give more.
   */
  readonly maxSessions?: number;
}

interface CachedSession {
  readonly session: Promise<StsMemberSession>;
}

/**
 * Sessions of each family's member role (`arn:<partition>:iam::<account>:role/<MEMBER_ROLE_NAME>-<family>`,
 * with the external id it demands), cached per account, family and action until near expiry. Keyed by action
 * too, because the session name is what ties a change in the target account's CloudTrail to the
 * action that made it; a warm function still reuses one session across that action's steps.
 */
export class StsMemberSessions implements MemberSessionSource {
  readonly #sts: STSClient;
  readonly #roleName: string;
  readonly #externalId: string | null;
  readonly #clock: Clock;
  readonly #durationSeconds: number;
  readonly #refreshMarginMs: number;
  readonly #maxSessions: number;
  readonly #cache = new Map<string, CachedSession>();

  constructor(options: StsMemberSessionsOptions) {
    this.#sts = options.sts;
    this.#roleName = options.roleName;
    this.#externalId = options.externalId;
    this.#clock = options.clock ?? systemClock;
    this.#durationSeconds = options.durationSeconds ?? 900;
    this.#refreshMarginMs = (options.refreshMarginSeconds ?? 120) * 1000;
    this.#maxSessions = options.maxSessions ?? 64;
  }

  async sessionFor(request: MemberSessionRequest): Promise<MemberSession> {
    const key = `${request.partition}:${request.accountId}:${request.family}:${request.actionId}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      const session = await cached.session.catch(() => undefined);
      if (session !== undefined && this.#fresh(session)) {
        // Least recently used goes first: an action's next step finds its session however many started since.
        if (this.#cache.get(key) === cached) {
          this.#cache.delete(key);
          this.#cache.set(key, cached);
        }
        return session;
      }
      this.#drop(key, cached);
    }
    this.#evict();
    const entry: CachedSession = { session: this.#assume(request) };
    this.#cache.set(key, entry);
    try {
      return await entry.session;
    } catch (error) {
      // A failed assumption is never cached: the next step tries again.
      if (this.#cache.get(key) === entry) this.#cache.delete(key);
      throw error;
    }
  }

  /** Drops every session and destroys its clients (local runtime shutdown, tests). */
  async close(): Promise<void> {
    const entries = [...this.#cache.entries()];
    this.#cache.clear();
    await Promise.all(entries.map(async ([, entry]) => (await entry.session.catch(() => undefined))?.destroy()));
  }

  #fresh(session: StsMemberSession): boolean {
    return session.credentials.expiration.getTime() - this.#clock.now().getTime() > this.#refreshMarginMs;
  }

  #drop(key: string, entry: CachedSession): void {
    if (this.#cache.get(key) === entry) this.#cache.delete(key);
    void entry.session.then((session) => {
      session.destroy();
    }, () => undefined);
  }

  /** Keeps the cache bounded: a long-lived local process acts on many accounts over time. */
  #evict(): void {
    while (this.#cache.size >= this.#maxSessions) {
      const oldest = this.#cache.entries().next().value;
      if (oldest === undefined) return;
      this.#drop(oldest[0], oldest[1]);
    }
  }

  async #assume(request: MemberSessionRequest): Promise<StsMemberSession> {
    const roleArn = `arn:${request.partition}:iam::${request.accountId}:role/${memberRoleNameOf(this.#roleName, request.family)}`;
    try {
      const { Credentials } = await this.#sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: roleSessionName(request.actionId),
          DurationSeconds: this.#durationSeconds,
          ...(this.#externalId === null ? {} : { ExternalId: this.#externalId }),
        }),
      );
      if (
        Credentials?.AccessKeyId === undefined ||
        Credentials.SecretAccessKey === undefined ||
        Credentials.SessionToken === undefined
      ) {
        throw new MemberRoleUnavailableError(`STS returned no credentials for ${roleArn} in account ${request.accountId}`);
      }
      return new StsMemberSession(request, roleArn, {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretAccessKey,
        sessionToken: Credentials.SessionToken,
        expiration: Credentials.Expiration ?? new Date(this.#clock.now().getTime() + this.#durationSeconds * 1000),
      });
    } catch (error) {
      throw memberRoleError(error, roleArn, request.accountId);
    }
  }
}

class StsMemberSession implements MemberSession {
  readonly accountId: string;
  readonly partition: Partition;
  readonly roleArn: string;
  readonly credentials: MemberCredentials;
  readonly #clients = new Map<string, SessionClients>();

  constructor(request: MemberSessionRequest, roleArn: string, credentials: MemberCredentials) {
    this.accountId = request.accountId;
    this.partition = request.partition;
    this.roleArn = roleArn;
    this.credentials = credentials;
  }

  clients<Clients extends SessionClients>(key: string, create: () => Clients): Clients {
    const existing = this.#clients.get(key);
    if (existing !== undefined) return existing as Clients;
    const created = create();
    this.#clients.set(key, created);
    return created;
  }

  destroy(): void {
    for (const clients of this.#clients.values()) {
      for (const client of Object.values(clients)) client.destroy();
    }
    this.#clients.clear();
  }
}

/** `response-actions-<action id>`, within STS's 2-64 characters of `[\w+=,.@-]`. */
export function roleSessionName(actionId: string): string {
  return `response-actions-${actionId.replace(/[^\w+=,.@-]/g, '-')}`.slice(0, 64);
}

function memberRoleError(error: unknown, roleArn: string, accountId: string): unknown {
  if (error instanceof CloudActionError) return error;
  const mapped = fromAwsError(error, { accountId, operation: `sts:AssumeRole on ${roleArn}` });
  if (mapped instanceof ThrottlingError) return mapped;
  const reason = error instanceof Error ? `${error.name}: ${awsWords(error)}` : String(error);
  return new MemberRoleUnavailableError(
    `cannot assume the member role ${roleArn} in account ${accountId} (${reason}); deploy the member-account stack there, or check MEMBER_ROLE_NAME and MEMBER_ROLE_EXTERNAL_ID`,
    { cause: error },
  );
}
