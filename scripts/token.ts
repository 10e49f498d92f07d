/**
 * Prints a bearer token the local service accepts:
 *
 *   npm run --silent token -- SCOPE... [--sub NAME] [--ttl SECONDS] [--responder host/NAME|kubernetes/NAME] [--events SOURCES]
 *
 * Only the token goes to stdout (so `TOKEN=$(npm run --silent token -- ...)` works); usage and
 * errors go to stderr. Exit 2 on a usage error (unknown scope, bad option), 1 on anything else.
 * Keys come from the local issuer under DATA_DIR (default `.local/` in the checkout).
 */
import { parseArgs } from 'node:util';
import { dataDirFrom, defaultTokenTtlSeconds, maxTokenTtlSeconds, openDevIssuer } from '#local/dev-issuer.ts';
import {
  eventsScope,
  isAcceptableSubject,
  isScope,
  maxSubjectLength,
  parseEventsClaim,
  parseResponderClaim,
  respondScope,
  scopes,
} from '#shared/auth/scopes.ts';
import type { EventsGrant, ResponderBinding } from '#shared/auth/scopes.ts';

const usage = `usage: npm run --silent token -- SCOPE... [--sub NAME] [--ttl SECONDS] [--responder host/NAME|kubernetes/NAME] [--events SOURCES]

Prints a bearer token for the local service carrying the given scopes.
  SCOPE            one or more of: ${scopes.join(', ')}
  --sub NAME       the caller's identity (default: local-user)
  --ttl SECONDS    lifetime, 1 to ${maxTokenTtlSeconds} (default: ${defaultTokenTtlSeconds})
  --responder K/N  the host or cluster a ${respondScope} token is bound to
  --events S       the only sources a ${eventsScope} token may post, comma-separated:
                   guardduty, securityhub, falco or falco/<hostname> (default: any)
Keys live under DATA_DIR (default .local/ in the checkout).`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface TokenRequest {
  readonly scopes: string[];
  readonly sub: string;
  readonly ttlSeconds: number;
  readonly responder: ResponderBinding | undefined;
  readonly events: EventsGrant[] | undefined;
}

function parseCommandLine(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        sub: { type: 'string' },
        ttl: { type: 'string' },
        responder: { type: 'string' },
        events: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function parseRequest(args: string[]): TokenRequest | 'help' {
  const { values, positionals } = parseCommandLine(args);
  const { sub: subject = 'local-user', ttl, responder: responderText, events: eventsText, help } = values;
  if (help === true) return 'help';
  if (positionals.length === 0) throw new UsageError('name at least one scope');
  const unknown = positionals.filter((scope) => !isScope(scope));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scope ${unknown.join(', ')}; valid scopes are:\n  ${scopes.join('\n  ')}`);
  }
  const ttlSeconds = ttl === undefined ? defaultTokenTtlSeconds : Number(ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTokenTtlSeconds) {
    throw new UsageError(`--ttl must be a whole number of seconds from 1 to ${maxTokenTtlSeconds}`);
  }
  let responder: ResponderBinding | undefined;
  if (responderText !== undefined) {
    responder = parseResponderClaim(responderText);
    if (responder === undefined) throw new UsageError('--responder must be host/<host.id> or kubernetes/<cluster>');
  }
  if (positionals.includes(respondScope) !== (responder !== undefined)) {
    throw new UsageError(`${respondScope} and --responder go together: a responder token is bound to its host or cluster`);
  }
  let events: EventsGrant[] | undefined;
  if (eventsText !== undefined) {
    events = parseEventsClaim(eventsText.replaceAll(',', ' '));
    if (events === undefined) throw new UsageError('--events must list guardduty, securityhub, falco or falco/<hostname>, comma-separated');
    if (!positionals.includes(eventsScope)) throw new UsageError(`--events needs the ${eventsScope} scope`);
  }
  if (subject.trim() === '') throw new UsageError('--sub must not be empty');
  // The service refuses such a token (401); say so here instead of printing one.
  if (!isAcceptableSubject(subject)) {
    throw new UsageError(`--sub must be at most ${maxSubjectLength} characters without control characters`);
  }
  const request: TokenRequest = { scopes: positionals, sub: subject, ttlSeconds, responder, events };
  return request;
}

async function main(): Promise<number> {
  let request;
  try {
    request = parseRequest(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`token: ${error.message}\n\n${usage}\n`);
    return 2;
  }
  if (request === 'help') {
    process.stderr.write(`${usage}\n`);
    return 0;
  }
  const issuer = await openDevIssuer(dataDirFrom(process.env));
  const token = await issuer.issue({
    sub: request.sub,
    scopes: request.scopes,
    ttlSeconds: request.ttlSeconds,
    ...(request.responder === undefined ? {} : { responder: request.responder }),
    ...(request.events === undefined ? {} : { events: request.events }),
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
