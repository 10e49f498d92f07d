/**
 * One scenario's service: `npm start`'s service in process (startLocalService) on a temporary
 * DATA_DIR, with its host responder when the scenario acts on this machine, and the HTTP calls the
 * scenario makes, each with the token of whoever would make it (a finding source, an operator, an
 * approver, a reader).
 */
import { execScopes, readScopes, eventsScope } from '#shared/auth/scopes.ts';
import type { Environment } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { startLocalService, type LocalService } from '#local/service.ts';

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: unknown;
}

export interface SessionOptions {
  readonly dataDir: string;
  readonly env: Environment;
  /** Runs this machine's host responder (scenarios acting on a process or file here). */
  readonly hostResponder: boolean;
}

const terminal = new Set(['Completed', 'Error']);
/** A bound on waiting for an action to end, so a hung action is reported, not waited on forever. */
const actionDeadlineMs = 90_000;

export class ServiceSession {
  #service: LocalService;
  readonly #options: SessionOptions;

  private constructor(service: LocalService, options: SessionOptions) {
    this.#service = service;
    this.#options = options;
  }

  static async start(options: SessionOptions): Promise<ServiceSession> {
    return new ServiceSession(await ServiceSession.#open(options), options);
  }

  static #open(options: SessionOptions): Promise<LocalService> {
    return startLocalService({ dataDir: options.dataDir, port: 0, env: options.env, ...(options.hostResponder ? {} : { hostResponder: false }) });
  }

  /** This machine's responder's host id (the Falco alerts' hostname), when one runs. */
  get hostname(): string | null {
    return this.#service.responders.hostResponder;
  }

  /** Stops the service and starts it again on the same DATA_DIR: what it knows must survive. */
  async restart(): Promise<void> {
    await this.#service.close();
    this.#service = await ServiceSession.#open(this.#options);
  }

  close(): Promise<void> {
    return this.#service.close();
  }

  #token(sub: string, scopes: readonly string[]): Promise<string> {
    return this.#service.issuer.issue({ sub, scopes, ttlSeconds: 3600 });
  }

  /** Every category's exec and read scopes: an operator resetting rules and undoing actions, or an approver. */
  #person(sub: string): Promise<string> {
    return this.#token(sub, [...Object.values(execScopes), ...Object.values(readScopes)]);
  }

  async #call(method: 'GET' | 'POST', path: string, bearer: Promise<string>, body?: string): Promise<HttpAnswer> {
    const response = await fetch(`${this.#service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${await bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text, for the mismatch to show
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: parsed };
  }

  /** POST /v1/events as a finding source (falcosidekick, the EventBridge target). */
  postEvent(text: string): Promise<HttpAnswer> {
    return this.#call('POST', '/v1/events', this.#token('conformance-source', [eventsScope]), text);
  }

  approve(approvalId: string, as: string): Promise<HttpAnswer> {
    return this.#call('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/approve`, this.#person(as), JSON.stringify({ reason: 'conformance' }));
  }

  reject(approvalId: string, as: string): Promise<HttpAnswer> {
    return this.#call('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/reject`, this.#person(as), JSON.stringify({ reason: 'conformance' }));
  }

  approval(approvalId: string): Promise<HttpAnswer> {
    return this.#call('GET', `/v1/approvals/${encodeURIComponent(approvalId)}`, this.#person('conformance-reader'));
  }

  /** GET /v1/automation-rules: the rules in force, their file's SHA-256 and each rule's breaker. */
  rulesInForce(): Promise<HttpAnswer> {
    return this.#call('GET', '/v1/automation-rules', this.#person('conformance-reader'));
  }

  resetRule(ruleId: string): Promise<HttpAnswer> {
    return this.#call('POST', `/v1/automation-rules/${encodeURIComponent(ruleId)}/reset`, this.#person('conformance-operator'), '{}');
  }

  undo(actionId: string): Promise<HttpAnswer> {
    return this.#call('POST', `/v1/actions/${encodeURIComponent(actionId)}/undo`, this.#person('conformance-operator'), '{}');
  }

  async action(actionId: string): Promise<ActionRecord> {
    const answer = await this.#call('GET', `/v1/actions/${encodeURIComponent(actionId)}`, this.#person('conformance-reader'));
    if (answer.status !== 200) throw new Error(`GET /v1/actions/${actionId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body as ActionRecord;
  }

  /** Polls the action until it is Completed or in Error; past the bound, the record as it stands. */
  async settled(actionId: string): Promise<ActionRecord> {
    const deadline = Date.now() + actionDeadlineMs;
    for (;;) {
      const record = await this.action(actionId);
      if (terminal.has(record.status) || Date.now() > deadline) return record;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Every page of a list route (`{ items, nextCursor }`), newest first as the service lists them. */
  async #everyPage<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page = await this.#call('GET', cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`, this.#person('conformance-reader'));
      if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}: ${JSON.stringify(page.body)}`);
      const body = page.body as { items: T[]; nextCursor: string | null };
      items.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor !== null);
    return items;
  }

  /** Every action record, oldest first. */
  async actions(): Promise<ActionRecord[]> {
    return (await this.#everyPage<ActionRecord>('/v1/actions?limit=100')).reverse();
  }

  /** Every recorded decision (GET /v1/events), oldest first. */
  async decisions(): Promise<{ outcome: string; ruleId: string; findingId: string; actionIds: string[] }[]> {
    return (await this.#everyPage<{ outcome: string; ruleId: string; findingId: string; actionIds: string[] }>('/v1/events')).reverse();
  }
}
