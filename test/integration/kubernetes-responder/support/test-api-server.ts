/**
 * A Kubernetes API server stand-in for the cluster responder's tests: node:http on 127.0.0.1,
 * reached through a real KubeConfig and @kubernetes/client-node. Each test lists the exact
 * requests it expects, in order (method, path, query, content type, JSON body), with the
 * response the API server would give. Anything else is answered 500 and recorded as a problem.
 * Every request must carry the ServiceAccount token, and is authorized, as kube-apiserver would,
 * against the shipped manifests' roles and bindings in the request's namespace (manifest-rbac.ts;
 * discovery excepted): one they do not grant is answered 403 Forbidden, and recorded as a
 * problem unless the test expected it with `reply: refusedByRbac`. Every request is also held to
 * what kube-apiserver requires of it, and every answer a test gives to what kube-apiserver would
 * send (api-conformance.ts): a request it would refuse is refused the same way, and either is
 * recorded as a conformance problem, which fails the test at assertDone or at reset.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { checkReply, checkRequest, pathTarget } from './api-conformance.ts';
import { forbidden } from './kubernetes-objects.ts';
import { ManifestRbac } from './manifest-rbac.ts';
import type { RbacRequest } from './manifest-rbac.ts';

export const testToken = 'test-serviceaccount-token';

export interface Reply {
  readonly status: number;
  /** A JSON body (content type application/json). */
  readonly json?: unknown;
  /** A raw body (logs, "404 page not found"). */
  readonly raw?: string | Uint8Array;
  readonly contentType?: string;
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | null;
  readonly authorization: string | null;
  /** The parsed JSON body, or null without one. */
  readonly body: unknown;
}

/** In an expected request: the manifests' RBAC must refuse it, and the server answers 403 for it. */
export const refusedByRbac = Symbol('refused by the manifests’ RBAC');

export interface ExpectedRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** Every query parameter, exactly; none when absent. */
  readonly query?: Readonly<Record<string, string>>;
  /** Exactly this content type (for requests with a body). */
  readonly contentType?: string;
  /** Exactly this JSON body; no body when absent. */
  readonly body?: unknown;
  readonly reply: Reply | ((request: ReceivedRequest) => Reply) | typeof refusedByRbac;
}

/** Maps a request path to the RBAC terms it needs (with the object's name); null for discovery, which needs none. */
export function rbacOf(method: string, path: string): (RbacRequest & { readonly name?: string }) | null {
  const target = pathTarget(path);
  if (target === null) return null;
  const { group, namespace, resource, name, subresource } = target;
  const verbs: Record<string, string> = { GET: name === null ? 'list' : 'get', POST: 'create', PATCH: 'patch', DELETE: 'delete', PUT: 'update' };
  return {
    group,
    resource: subresource === null ? resource : `${resource}/${subresource}`,
    verb: verbs[method] ?? method.toLowerCase(),
    namespace,
    ...(name === null ? {} : { name }),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, reply: Reply): void {
  if (reply.raw !== undefined) {
    response.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/plain' });
    response.end(reply.raw);
    return;
  }
  response.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
  response.end(reply.json === undefined ? '' : JSON.stringify(reply.json));
}

export class TestApiServer {
  readonly received: ReceivedRequest[] = [];
  readonly problems: string[] = [];
  /** Requests kube-apiserver would refuse and answers it would never give; reset() throws while any are left. */
  readonly conformanceProblems: string[] = [];
  readonly #server: Server;
  readonly #expected: ExpectedRequest[] = [];
  readonly #rbac: ManifestRbac;

  private constructor(server: Server, rbac: ManifestRbac) {
    this.#server = server;
    this.#rbac = rbac;
  }

  /** Starts on a free port, authorizing with the shipped manifests (or `rbac`). */
  static async start(rbac: ManifestRbac = ManifestRbac.load()): Promise<TestApiServer> {
    const server = createServer();
    const api = new TestApiServer(server, rbac);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void api.#handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** A KubeConfig as in-cluster config would be, pointed at this server (plain HTTP, hence skipTLSVerify). */
  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'test', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'responder', token: testToken }],
      contexts: [{ name: 'test', cluster: 'test', user: 'responder' }],
      currentContext: 'test',
    });
    return config;
  }

  /** Queues the next expected requests, in order. */
  expect(...requests: ExpectedRequest[]): void {
    this.#expected.push(...requests);
  }

  /**
   * Forgets expectations and history (between tests). Throws when a request or an answer broke
   * the Kubernetes API's rules, so a test that never calls assertDone still fails on one.
   */
  reset(): void {
    const conformance = [...this.conformanceProblems];
    this.#expected.length = 0;
    this.received.length = 0;
    this.problems.length = 0;
    this.conformanceProblems.length = 0;
    if (conformance.length > 0) throw new Error(`test API server, not the Kubernetes API:\n- ${conformance.join('\n- ')}`);
  }

  /** Throws unless every expected request came, in order, and nothing else did. */
  assertDone(): void {
    const left = this.#expected.map((request) => `${request.method} ${request.path}`);
    const problems = [...this.problems, ...this.conformanceProblems, ...(left.length > 0 ? [`expected but never received: ${left.join(', ')}`] : [])];
    if (problems.length > 0) throw new Error(`test API server:\n- ${problems.join('\n- ')}`);
  }

  /** The conformance problems recorded so far, forgotten (for tests of the checks themselves). */
  takeConformanceProblems(): string[] {
    return this.conformanceProblems.splice(0);
  }

  /** The bodies of received requests with this method and path. */
  bodiesOf(method: string, path: string): unknown[] {
    return this.received.filter((request) => request.method === method && request.path === path).map((request) => request.body);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => { resolve(); }));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(request);
    let body: unknown = null;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
    }
    const received: ReceivedRequest = {
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: request.headers['content-type'] ?? null,
      authorization: request.headers.authorization ?? null,
      body,
    };
    this.received.push(received);
    const describe = `${received.method} ${received.path}${url.search}`;
    const fail = (problem: string) => {
      this.problems.push(`${describe}: ${problem}`);
      send(response, { status: 500, json: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `test API server: ${problem}`, reason: 'InternalError', code: 500 } });
    };
    if (received.authorization !== `Bearer ${testToken}`) {
      fail(`Authorization was ${received.authorization ?? 'absent'}, not the ServiceAccount token`);
      return;
    }
    const rbac = rbacOf(received.method, received.path);
    const refusal = rbac === null || this.#rbac.allows(rbac) ? null : forbidden(rbac.verb, rbac.resource, rbac.group, rbac.namespace, rbac.name);
    const next = this.#expected[0];
    if (refusal !== null && rbac !== null && (next?.reply !== refusedByRbac || next.method !== received.method || next.path !== received.path)) {
      // Answered as the cluster would, and recorded: the test did not expect the manifests to refuse it.
      this.problems.push(`${describe}: the manifests grant no ${rbac.verb} on ${rbac.resource} in group "${rbac.group}" ${rbac.namespace === null ? 'at the cluster scope' : `in namespace ${rbac.namespace}`}`);
      send(response, refusal);
      return;
    }
    const expected = this.#expected.shift();
    if (expected === undefined) {
      fail('no request was expected');
      return;
    }
    const mismatches: string[] = [];
    if (expected.method !== received.method || expected.path !== received.path) mismatches.push(`expected ${expected.method} ${expected.path}`);
    if (!isDeepStrictEqual(expected.query ?? {}, received.query)) {
      mismatches.push(`query ${JSON.stringify(received.query)}, expected ${JSON.stringify(expected.query ?? {})}`);
    }
    if (expected.contentType !== undefined && received.contentType !== expected.contentType) {
      mismatches.push(`content type ${received.contentType ?? 'absent'}, expected ${expected.contentType}`);
    }
    if (expected.body === undefined ? received.body !== null : !isDeepStrictEqual(expected.body, received.body)) {
      mismatches.push(`body ${JSON.stringify(received.body)}, expected ${JSON.stringify(expected.body ?? null)}`);
    }
    if (mismatches.length > 0) {
      fail(mismatches.join('; '));
      return;
    }
    if (expected.reply === refusedByRbac) {
      if (refusal === null) fail('expected the manifests’ RBAC to refuse this, but they grant it');
      else send(response, refusal);
      return;
    }
    const refused = checkRequest(received);
    if (refused !== null) {
      // Refused as kube-apiserver would refuse it, whatever the test expected.
      this.conformanceProblems.push(...refused.problems.map((problem) => `${describe}: the request: ${problem}`));
      const { status, reason, message } = refused.refusal;
      send(response, { status, json: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: status } });
      return;
    }
    const reply = typeof expected.reply === 'function' ? expected.reply(received) : expected.reply;
    if (reply.raw === undefined) {
      this.conformanceProblems.push(...checkReply(received, reply.status, reply.json).map((problem) => `${describe}: the test's answer: ${problem}`));
    }
    send(response, reply);
  }
}
