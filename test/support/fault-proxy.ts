/**
 * A fault-injecting HTTP proxy in front of moto_server, for what no real server here produces:
 * AWS throttling and 5xx bursts, and a process dying between two of its calls. Each request is
 * named `service:Operation` (the service from the SigV4 credential scope; the operation from the
 * Query protocol's `Action`, the JSON protocols' `X-Amz-Target`, or S3's method and path), counted,
 * and either answered with a fault in that protocol's real error shape or forwarded to moto as it
 * came. The error bodies are written here by hand; the SDK under test parses them.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A throttling answer (each protocol's own code), or a bare 500 or 503. */
export type FaultKind = 'throttle' | 500 | 503;

/**
 * Answer the first `times` requests matching `call` (`iam:AttachUserPolicy`, `ec2:*`, `*`) with
 * `kind`, then forward; with `each`, the first `times` requests of every matching operation.
 */
export interface FaultRule {
  readonly call: string;
  readonly kind: FaultKind;
  readonly times: number;
  readonly each?: boolean;
}

/** One request the proxy saw. */
export interface ProxiedCall {
  /** `iam:AttachUserPolicy`, `s3:PutPublicAccessBlock`, `ec2:CreateSecurityGroup`. */
  readonly call: string;
  /** It changes something in the account (not a Get/List/Describe/Head/AssumeRole, not an S3 GET or HEAD). */
  readonly mutating: boolean;
  /** The fault it was answered with, or null when moto answered it. */
  readonly fault: FaultKind | null;
}

/** SIGKILL-style fault: when the `ordinal`-th mutating call arrives, `kill` runs before or after moto applies it. */
export interface KillPlan {
  readonly ordinal: number;
  readonly when: 'before' | 'after';
  readonly kill: () => void;
}

export interface FaultProxy {
  /** Point AWS_ENDPOINT_URL here. */
  readonly endpoint: string;
  /** Every request so far, in arrival order. */
  readonly calls: readonly ProxiedCall[];
  /** Requests naming `call` so far (faulted ones included). */
  count(call: string): number;
  /** Requests naming `call` so far that were answered with a fault. */
  faulted(call: string): number;
  /** Replaces the fault rules; each rule's `times` counts from now. */
  inject(rules: readonly FaultRule[]): void;
  /** Arms one kill, counting mutating calls from now; the request that triggers it is never answered. */
  killOn(plan: KillPlan): void;
  /** Takes back an armed kill that has not fired. */
  disarm(): void;
  /** Mutating calls seen since the last killOn (or start). */
  readonly mutatingSinceArmed: () => readonly string[];
  /** The bodies moto answered requests naming `call` with, when the proxy was started keeping them. */
  answers(call: string): readonly string[];
  /** Forgets the calls seen (counts start again). */
  reset(): void;
  close(): Promise<void>;
}

const queryServices = new Set(['iam', 'sts', 'ec2', 'rds', 'autoscaling']);
const readOnly = /^(Get|List|Describe|Lookup|Head|Simulate|AssumeRole|Check)/;

/** The service a SigV4-signed request names in its credential scope (`Credential=AKID/date/region/iam/aws4_request`). */
export function serviceOf(request: Pick<IncomingMessage, 'headers'>): string {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(request.headers.authorization ?? '');
  return scope?.[1] ?? 'unknown';
}

/** `service:Operation` of a request, and whether it changes anything. */
export function nameCall(request: Pick<IncomingMessage, 'headers' | 'method' | 'url'>, body: Buffer): { call: string; mutating: boolean } {
  const service = serviceOf(request);
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') {
    const operation = target.slice(target.lastIndexOf('.') + 1);
    return { call: `${service}:${operation}`, mutating: !readOnly.test(operation) };
  }
  if (queryServices.has(service)) {
    const url = new URL(request.url ?? '/', 'http://proxy');
    const operation = new URLSearchParams(body.toString('utf8')).get('Action') ?? url.searchParams.get('Action') ?? 'Unknown';
    return { call: `${service}:${operation}`, mutating: !readOnly.test(operation) };
  }
  const method = request.method ?? 'GET';
  return { call: `${service}:${s3Operation(method, request.url ?? '/')}`, mutating: method !== 'GET' && method !== 'HEAD' };
}

/** S3's REST operation from method, path and subresource: `PUT /b?publicAccessBlock` → PutPublicAccessBlock. */
function s3Operation(method: string, path: string): string {
  const url = new URL(path, 'http://proxy');
  const named = url.searchParams.get('x-id');
  if (named !== null) return named;
  const verb = method === 'HEAD' ? 'Head' : method.charAt(0) + method.slice(1).toLowerCase();
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const sub = [...url.searchParams.keys()][0];
  if (sub === undefined) return segments.length > 1 ? `${verb}Object` : `${verb}Bucket`;
  const capitalised = sub.charAt(0).toUpperCase() + sub.slice(1);
  return sub === 'publicAccessBlock' ? `${verb}PublicAccessBlock` : `${verb}Bucket${capitalised}`;
}

const throttleCodes = { query: 'Throttling', ec2: 'RequestLimitExceeded', s3: 'SlowDown', json: 'ThrottlingException' } as const;
const serverCodes = {
  500: { query: 'InternalFailure', ec2: 'InternalError', s3: 'InternalError', json: 'InternalFailure' },
  503: { query: 'ServiceUnavailable', ec2: 'Unavailable', s3: 'ServiceUnavailable', json: 'ServiceUnavailable' },
} as const;

/** The fault in the protocol's own shape: Query XML, EC2's XML, S3's XML, or JSON's `__type`. */
export function faultAnswer(service: string, json: boolean, kind: FaultKind, requestId: string): { status: number; contentType: string; body: string } {
  const protocol = json ? 'json' : service === 'ec2' ? 'ec2' : service === 's3' ? 's3' : 'query';
  const code = kind === 'throttle' ? throttleCodes[protocol] : serverCodes[kind][protocol];
  const message = kind === 'throttle' ? 'Rate exceeded (injected by the test fault proxy)' : 'We encountered an internal error (injected by the test fault proxy)';
  // AWS answers EC2's RequestLimitExceeded and S3's SlowDown with 503, the Query and JSON throttles with 400.
  const status = kind === 'throttle' ? (protocol === 'ec2' || protocol === 's3' ? 503 : 400) : kind;
  switch (protocol) {
    case 'json':
      return { status, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: code, message }) };
    case 'ec2':
      return { status, contentType: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>` };
    case 's3':
      return { status, contentType: 'application/xml', body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>` };
    case 'query': {
      const type = kind === 'throttle' ? 'Sender' : 'Receiver';
      return { status, contentType: 'text/xml', body: `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>` };
    }
  }
}

function matches(pattern: string, call: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith(':*')) return call.startsWith(pattern.slice(0, -1));
  return pattern === call;
}

/**
 * Starts the proxy in front of `upstream` (moto_server's endpoint) on 127.0.0.1; `keepAnswers`
 * names calls whose answers are kept (e.g. `sts:AssumeRole`, to look for its credentials in logs).
 */
export async function startFaultProxy(upstream: string, options: { readonly keepAnswers?: readonly string[] } = {}): Promise<FaultProxy> {
  const target = new URL(upstream);
  const kept = new Map<string, string[]>();
  const calls: ProxiedCall[] = [];
  let rules: { rule: FaultRule; used: Map<string, number> }[] = [];
  let kill: KillPlan | null = null;
  let mutatingSinceArmed: string[] = [];

  const forward = (request: IncomingMessage, body: Buffer, response: ServerResponse | null, call: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const headers = { ...request.headers, host: target.host };
      const outgoing = httpRequest({ host: target.hostname, port: target.port, method: request.method, path: request.url, headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          if (options.keepAnswers?.includes(call) === true) kept.set(call, [...(kept.get(call) ?? []), Buffer.concat(chunks).toString('utf8')]);
          if (response !== null) {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            response.end(Buffer.concat(chunks));
          }
          resolve();
        });
        answer.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const { call, mutating } = nameCall(request, body);
    const service = call.slice(0, call.indexOf(':'));
    const counter = (rule: FaultRule): string => (rule.each === true ? call : '');
    const rule = rules.find((each) => (each.used.get(counter(each.rule)) ?? 0) < each.rule.times && matches(each.rule.call, call));
    if (rule !== undefined) {
      rule.used.set(counter(rule.rule), (rule.used.get(counter(rule.rule)) ?? 0) + 1);
      calls.push({ call, mutating, fault: rule.rule.kind });
      const answer = faultAnswer(service, typeof request.headers['x-amz-target'] === 'string', rule.rule.kind, `fault-proxy-${String(calls.length)}`);
      response.writeHead(answer.status, { 'content-type': answer.contentType });
      response.end(request.method === 'HEAD' ? undefined : answer.body);
      return;
    }
    calls.push({ call, mutating, fault: null });
    if (mutating) mutatingSinceArmed.push(call);
    const plan = kill;
    if (plan !== null && mutating && mutatingSinceArmed.length === plan.ordinal) {
      kill = null;
      if (plan.when === 'after') await forward(request, body, null, call);
      plan.kill();
      // The caller is dead: its connection closes without an answer.
      request.socket.destroy();
      return;
    }
    await forward(request, body, response, call);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`fault proxy could not reach moto_server: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => { resolve(); }));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${String(port)}`,
    calls,
    count: (call) => calls.filter((each) => each.call === call).length,
    faulted: (call) => calls.filter((each) => each.call === call && each.fault !== null).length,
    inject: (next) => {
      rules = next.map((rule) => ({ rule, used: new Map() }));
    },
    killOn: (plan) => {
      kill = plan;
      mutatingSinceArmed = [];
    },
    disarm: () => {
      kill = null;
    },
    mutatingSinceArmed: () => mutatingSinceArmed,
    answers: (call) => kept.get(call) ?? [],
    reset: () => {
      calls.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}
