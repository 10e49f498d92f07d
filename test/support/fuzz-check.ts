/**
 * The API fuzzer's properties, shared by the fuzz tests and `npm run bench -- fuzz`: for every
 * request, an answer below 500; every 4xx problem+json whose detail names the field at fault;
 * without the route's scope (or without a valid token) 401/403 whatever the inputs; nothing
 * written on a rejection (the history table, the queues and DATA_DIR's files compared before and
 * after, from a quiet service so any change is the request's).
 */
import fc from 'fast-check';
import type { ApiRoute } from '#functions/api/routes.ts';
import { headerSafe, hostileString } from './fuzz-arbitraries.ts';
import { changes, personScopes, type FuzzService, type Snapshot, type TokenChoice, type WireAnswer } from './fuzz-service.ts';
import type { Access, FuzzRequest, RouteModel } from './fuzz-routes.ts';
import { contentTypes, extraHeaders } from './fuzz-arbitraries.ts';

/** Tokens: mostly valid ones of every scope mix (a responder one bound to the seeded host), then none, broken, foreign, expired, forged. */
export const tokenChoice: fc.Arbitrary<TokenChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('valid' as const), scopes: fc.subarray([...personScopes]), responder: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constantFrom<TokenChoice>({ kind: 'foreign' }, { kind: 'expired' }, { kind: 'tampered' }, { kind: 'alg-none' }) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.constantFrom('Bearer', 'Bearer ', 'Bearer x.y.z', 'Basic dXNlcjpwYXNz', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo', 'Bearer a.b', 'Token abc'), hostileString)
      .map((header) => ({ kind: 'garbage' as const, header: headerSafe(header).slice(0, 8000) })),
  },
);

/** The request headers but Authorization: content types, extras, duplicates. */
export const requestHeaders: fc.Arbitrary<Record<string, string | string[]>> = fc
  .tuple(contentTypes, fc.option(extraHeaders, { freq: 2, nil: undefined }))
  .map(([contentType, extra]) => ({ ...(contentType === undefined ? {} : { 'content-type': contentType }), ...extra }));

/** Whether a valid token of `choice` passes a route's scope check. */
export function allows(access: Access, choice: Extract<TokenChoice, { kind: 'valid' }>): boolean {
  const has = (scope: string): boolean => choice.scopes.includes(scope);
  switch (access) {
    case 'public':
      return true;
    case 'reader':
    case 'record':
      return personScopes.slice(0, 4).some(has);
    case 'exec':
      return has(personScopes[0]) || has(personScopes[2]);
    case 'responder':
      return choice.responder;
    case 'events':
      return has(personScopes[4]);
  }
}

/** Figures for the bench: requests per route, the status histogram, the 5xx. */
export class FuzzStats {
  readonly perRoute = new Map<string, number>();
  readonly statuses = new Map<number, number>();
  serverErrors = 0;
  requests = 0;

  count(route: string, status: number): void {
    this.requests += 1;
    this.perRoute.set(route, (this.perRoute.get(route) ?? 0) + 1);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (status >= 500) this.serverErrors += 1;
  }
}

/** The local server's transport limit on a body (local/http-server.ts), checked before the route's scope. */
const transportBodyBytes = 1024 * 1024;

function beyondTransportLimit(request: FuzzRequest): boolean {
  if (request.body === undefined) return false;
  return ('text' in request.body ? Buffer.byteLength(request.body.text) : request.body.bytes.length) > transportBodyBytes;
}

/** What is wrong with one answer (an empty list: nothing). */
export function judge(route: Pick<ApiRoute, 'method'>, model: RouteModel, choice: TokenChoice, request: FuzzRequest, answer: WireAnswer, written: readonly string[]): string[] {
  const wrong: string[] = [];
  const { status } = answer;
  if (status >= 500) wrong.push(`answered ${status}: ${answer.body.slice(0, 300)}`);
  if (status >= 400 && status < 500 && request.method !== 'HEAD') wrong.push(...problemFaults(answer));
  if (request.matches && request.method === route.method && model.access !== 'public' && status !== 431) {
    // Scope before inputs (API.md): the token alone decides these answers, whatever the request carries
    // (but a path that is not percent-encoded UTF-8 may be refused 400 and a body over 1 MB 413 by the
    // transport before any route's scope check, as API Gateway refuses a payload over its limit before the
    // function runs: only those refusals, never an answer that reads or writes).
    if (choice.kind !== 'valid') {
      if (status !== 401) wrong.push(`a ${choice.kind} token got ${status}, not 401`);
    } else if (!allows(model.access, choice)) {
      const due = [...(model.access === 'record' ? [403, 404] : [403]), ...(request.wellFormed ? [] : [400]), ...(beyondTransportLimit(request) ? [413] : [])];
      if (!due.includes(status)) wrong.push(`scopes [${choice.scopes.join(' ')}]${choice.responder ? ' + respond' : ''} lack the route's ${model.access} scope but got ${status}, not ${due.join(' or ')}`);
    }
  }
  if (status >= 400 && written.length > 0) wrong.push(`rejected with ${status} but wrote: ${written.slice(0, 5).join('; ')}`);
  return wrong;
}

/** What is wrong with a 4xx as problem+json: its type, its status, a detail, and the field at fault named. */
export function problemFaults(answer: WireAnswer): string[] {
  const contentType = answer.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/problem+json')) return [`${answer.status} came as ${contentType || 'no content type'}, not application/problem+json: ${answer.body.slice(0, 200)}`];
  let problem: { status?: unknown; detail?: unknown; errors?: unknown };
  try {
    problem = JSON.parse(answer.body) as typeof problem;
  } catch {
    return [`${answer.status} problem+json is not JSON: ${answer.body.slice(0, 200)}`];
  }
  const wrong: string[] = [];
  if (problem.status !== answer.status) wrong.push(`problem status ${String(problem.status)} is not the answer's ${answer.status}`);
  if (typeof problem.detail !== 'string' || problem.detail.trim() === '') wrong.push(`${answer.status} has no detail`);
  const detail = typeof problem.detail === 'string' ? problem.detail : '';
  if (problem.errors !== undefined) {
    const errors = Array.isArray(problem.errors) ? (problem.errors as { path?: unknown; message?: unknown }[]) : [];
    // A path may be empty: the name of an empty query parameter (`?=x`) is ''.
    if (errors.length === 0 || errors.some((error) => typeof error.path !== 'string' || typeof error.message !== 'string')) {
      wrong.push(`${answer.status} errors are not a list of { path, message }: ${JSON.stringify(problem.errors).slice(0, 200)}`);
    } else if (!errors.some((error) => detail.includes(error.path as string))) {
      wrong.push(`${answer.status} detail "${detail.slice(0, 120)}" names none of the fields at fault (${errors.map((error) => String(error.path)).join(', ').slice(0, 120)})`);
    }
  } else if (answer.status === 400) {
    wrong.push(`400 without errors naming the field at fault: ${detail.slice(0, 200)}`);
  }
  return wrong;
}

/**
 * Sends requests one at a time against a quiet service, and judges each: the snapshot taken
 * after a rejection is the next request's before; after anything accepted, the service is let
 * settle (its actions run to an end) before the next request.
 */
export class FuzzRunner {
  readonly stats = new FuzzStats();
  readonly #fuzz: FuzzService;
  #before: Snapshot | undefined;

  constructor(fuzz: FuzzService) {
    this.#fuzz = fuzz;
  }

  async exercise(route: Pick<ApiRoute, 'method'>, model: RouteModel, choice: TokenChoice, request: FuzzRequest): Promise<string[]> {
    const before = this.#before ?? (await this.#fuzz.quiet());
    this.#before = undefined;
    const authorization = await this.#fuzz.authorization(choice);
    let answer: WireAnswer;
    try {
      answer = await this.#fuzz.send(request.method, request.target, { ...request.headers, ...(authorization === undefined ? {} : { authorization }) }, request.body);
    } catch (error) {
      return [`no answer: ${(error as Error).message}`];
    }
    this.stats.count(request.route, answer.status);
    // A read that was answered starts nothing: what it left is the next request's before. Anything
    // else accepted may have started work (an action, a run): the next request waits for it to end.
    if (answer.status < 400) {
      if (request.method === 'GET') this.#before = await this.#fuzz.snapshot();
      return judge(route, model, choice, request, answer, []);
    }
    const after = await this.#fuzz.snapshot();
    const written = changes(before, after);
    // Nothing written: this is the next request's before; otherwise let the service settle first.
    if (written.length === 0) this.#before = after;
    return judge(route, model, choice, request, answer, written);
  }
}
