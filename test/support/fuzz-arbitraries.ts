/**
 * The hostile inputs the API fuzzer (test/integration/fuzz, bench/fuzz.ts) sends: strings, numbers,
 * JSON bodies mutated from valid ones, headers, query strings and path segments, as an attacker
 * would write them on the wire. Route-independent: fuzz-routes.ts says what is valid per route.
 */
import fc from 'fast-check';

/**
 * A JSON token written into a body as is (`1e400`, `-0`, 30 digits): JSON.stringify cannot write
 * them, so they travel as a marked string that {@link toJsonText} replaces with the token.
 */
export const rawToken = (token: string): string => `\u0000RAW:${token}\u0000`;

/** A value's JSON text with every {@link rawToken} written as the bare token. */
export function toJsonText(value: unknown): string {
  // Callers pass JSON values: objects, arrays, strings, numbers, booleans, null.
  return JSON.stringify(value).replace(/"\\u0000RAW:([^"\\]*)\\u0000"/g, '$1');
}

const specialStrings = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\udc00\ud800y', '\u202eevil\u202c', 'abc\u200fdef', '\u200b', '\ufeffbom',
  '\u0085', '\u2028\u2029', '\r\n', '\t', '..', '../../../etc/passwd', '/etc/shadow', '%00', '%2F', '%252F', 'C:\\Windows',
  '${jndi:ldap://x/a}', '{{7*7}}', '<script>alert(1)</script>', "' OR 1=1 --", '"; rm -rf / #', '$(id)', '`id`',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'NaN', 'Infinity', '-Infinity', '-0',
  '1e308', '1e309', '9007199254740993', '0x1F', '٣', 'ＡＵＴＯＭＡＴＩＯＮ：r1', 'automation:r1', 'İstanbul', 'ﬀ', 'e\u0301',
  '👩‍👩‍👧‍👦', 'null', 'true', '[]', '{}', 'arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::*:role/*', '*', 'host/x', '\\u0000',
];

/** Any string an attacker reaches for: control and format characters, lone surrogates, RTL, injections, very long ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...specialStrings) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('\ud800', '\udbff', '\udc00', 'a', '\u0000', '\u202e'), { maxLength: 12 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', 'é', '\u0000', '𝔸', '/'), fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 256, max: 3000 }) }, { weight: 1, arbitrary: fc.integer({ min: 3000, max: 70_000 }) })).map(([unit, times]) => unit.repeat(times)) },
);

/** Numbers JSON can carry and numbers it cannot (as raw tokens): huge, tiny, -0, beyond 2^53, past the double range. */
export const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, 1, 1e308, -1e308, 5e-324, 2 ** 53 + 2, -(2 ** 63), 2 ** 64, 4242, 65536, 1.5, 0.1),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom('1e400', '-1e400', '-0', '1e-400', '123456789012345678901234567890', '0.00000000000000000000000000001', '1E+2', '-0.0').map(rawToken),
);

/** A key that reaches for an object's prototype, or is otherwise awkward as a property name. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toJSON', 'then', '', ' ', 'a.b', 'a[0]', '$where', '\u0000'),
  hostileString.filter((key) => key.length < 300),
);

/** Any JSON-ish value, prototype-pollution keys in its objects; shallow (nesting has its own arbitrary). */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.constantFrom(true, false, null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
    fc.constant({ __proto__: { polluted: 'yes' } }).map(() => JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}') as unknown),
  ),
})).value;

/** `value` wrapped in arrays and objects `depth` times. */
export function nest(value: unknown, depth: number, shape: 'array' | 'object' | 'mixed'): unknown {
  let nested = value;
  for (let level = 0; level < depth; level += 1) {
    const asArray = shape === 'array' || (shape === 'mixed' && level % 2 === 0);
    nested = asArray ? [nested] : { a: nested };
  }
  return nested;
}

type JsonObject = Record<string, unknown>;

/** The dotted paths of `body`'s fields, objects' fields included (`inputs`, `inputs.host.id` is `['inputs', 'host.id']`). */
function fieldPaths(body: JsonObject, prefix: readonly string[] = []): string[][] {
  const paths: string[][] = [];
  for (const [name, value] of Object.entries(body)) {
    paths.push([...prefix, name]);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) paths.push(...fieldPaths(value as JsonObject, [...prefix, name]));
  }
  return paths;
}

/** A copy of `body` with the field at `path` replaced (or removed when `value` is undefined). */
function withField(body: JsonObject, path: readonly string[], value: unknown): JsonObject {
  const copy = structuredClone(body);
  let parent: JsonObject = copy;
  for (const name of path.slice(0, -1)) parent = parent[name] as JsonObject;
  const last = path.at(-1) ?? '';
  if (value === undefined) Reflect.deleteProperty(parent, last);
  else Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** A request body as the wire carries it: text (possibly not JSON at all) or raw bytes (possibly not UTF-8). */
export type WireBody = { readonly text: string } | { readonly bytes: Uint8Array };

const brokenTexts = [
  '', ' ', 'null', '[]', '"a"', '42', 'true', '{', '{"a":', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', '{"a":1} x', '\ufeff{}', '{"a":"\\ud800"}',
  '{"type":"a","type":"b"}', '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"polluted":1}}}', 'NaN', '{"a":NaN}', '{"a":Infinity}',
  '{"a":01}', '{"a":.5}', '{"a":+1}', '{"a":1e99999}', '{"\u0000":1}', '<?xml version="1.0"?><a/>', 'a=1&b=2', '--x\r\nContent-Disposition: form-data\r\n\r\n1',
];
const brokenBytes = [
  [0xff, 0xfe, 0x7b, 0x7d], [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d], [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d],
  [0xef, 0xbb, 0xbf, 0x7b, 0x7d], [0x00, 0x7b, 0x00, 0x7d], [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xf8, 0x88, 0x80, 0x80, 0x80, 0x22, 0x7d],
];

/** Bodies derived from a valid one: as is, a field dropped, replaced or added, deeply nested, or something else entirely. */
export function mutatedBody(valid: fc.Arbitrary<JsonObject>): fc.Arbitrary<WireBody | undefined> {
  return valid.chain((body) => {
    const paths = fieldPaths(body);
    const pick = fc.nat({ max: Math.max(0, paths.length - 1) }).map((index) => paths[index] ?? ['x']);
    const text = (value: unknown): WireBody => ({ text: toJsonText(value) });
    return fc.oneof(
      { weight: 2, arbitrary: fc.constant(text(body)) },
      { weight: 2, arbitrary: pick.map((path) => text(withField(body, path, undefined))) },
      { weight: 6, arbitrary: fc.tuple(pick, hostileValue).map(([path, value]) => text(withField(body, path, value))) },
      { weight: 3, arbitrary: fc.tuple(pick, hostileKey, hostileValue).map(([path, key, value]) => text(withField(body, [...path.slice(0, -1), key], value))) },
      { weight: 2, arbitrary: fc.tuple(pick, fc.integer({ min: 20, max: 80 }), fc.constantFrom<'array' | 'object' | 'mixed'>('array', 'object', 'mixed')).map(([path, depth, shape]) => text(withField(body, path, nest('x', depth, shape)))) },
      { weight: 1, arbitrary: fc.integer({ min: 500, max: 20_000 }).map((depth) => ({ text: `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}` })) },
      { weight: 2, arbitrary: hostileValue.map(text) },
      { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((json) => ({ text: json })) },
      { weight: 2, arbitrary: fc.constantFrom(...brokenTexts).map((broken) => ({ text: broken })) },
      { weight: 1, arbitrary: fc.constantFrom(...brokenBytes).map((bytes) => ({ bytes: Uint8Array.from(bytes) })) },
      { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 1_300_000 }).map((size) => text({ ...body, padding: 'p'.repeat(size) })) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
  });
}

/** Header values Node's client will put on the wire (it refuses CR, LF and anything past Latin-1). */
export const headerSafe = (value: string): string => value.replace(/[^\t\x20-\x7e\x80-\xff]/gu, '?');

export const contentTypes: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string>('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom<string>(
      'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-16', 'application/json; charset=latin1', ' application/json ',
      'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/problem+json', 'application/json-patch+json',
      '', 'application/jsonx', 'application/json, text/plain', '*/*', 'application/json; boundary="\u00ff"',
    ),
  },
  { weight: 1, arbitrary: fc.constant<string[]>(['application/json', 'text/plain']) },
  { weight: 1, arbitrary: fc.constant<undefined>(undefined) },
);

/** Extra headers: idempotency keys, forwarded-for, accept variants, duplicates, and now and then a huge one. */
export const extraHeaders: fc.Arbitrary<Record<string, string | string[]>> = fc
  .record(
    {
      'idempotency-key': fc.oneof(fc.uuid(), hostileString.map(headerSafe).filter((key) => key.length < 9000)),
      'x-forwarded-for': fc.constantFrom('127.0.0.1', '10.0.0.1, 8.8.8.8', 'unknown', '::1'),
      accept: fc.constantFrom('*/*', 'application/json', 'text/html', 'application/problem+json;q=0.1', ''),
      'accept-encoding': fc.constantFrom('gzip', 'br', 'identity', '*'),
      'x-correlation-id': hostileString.map(headerSafe).filter((id) => id.length < 2000),
      'x-amz-date': fc.constant('20261206T000000Z'),
      'x-http-method-override': fc.constantFrom('DELETE', 'PUT', 'GET'),
      // Mostly under Node's 16 KB of headers, now and then over it (431).
      'x-filler': fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 100, max: 12_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 17_000, max: 40_000 }) }).map((size) => 'f'.repeat(size)),
      'x-twice': fc.array(hostileString.map(headerSafe).filter((value) => value.length < 200), { minLength: 2, maxLength: 4 }),
    },
    { requiredKeys: [] },
  );

/**
 * encodeURIComponent that does not throw on a lone surrogate: it goes out as the three bytes
 * WTF-8 gives it (%ED%A0%80), which no UTF-8 decoder may accept.
 */
export function percentEncode(value: string): string {
  let encoded = '';
  for (let index = 0; index < value.length; index += 1) {
    const unit = value.charCodeAt(index);
    const next = value.charCodeAt(index + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      encoded += encodeURIComponent(value.slice(index, index + 2));
      index += 1;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      encoded += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    } else {
      encoded += encodeURIComponent(value[index] ?? '');
    }
  }
  return encoded;
}

/** A query value as a client may encode it: properly, not at all, twice, with `+`, or broken. */
export function encodedQueryPart(value: string): fc.Arbitrary<string> {
  const proper = percentEncode(value);
  return fc.constantFrom(
    proper,
    proper.replace(/%20/g, '+'),
    percentEncode(proper),
    headerSafe(value).replace(/[^\x21-\x7e]/g, (char) => encodeURIComponent(char)).replace(/[#&=]/g, '_'),
    `${proper}%`,
    `${proper}%zz`,
    `%C0%AF${proper}`,
  );
}

/** A query string from known parameters' valid-ish values, hostile values, unknown and repeated keys. */
export function queryString(known: Readonly<Record<string, fc.Arbitrary<string>>>): fc.Arbitrary<string> {
  const names = Object.keys(known);
  const pair: fc.Arbitrary<[string, string]> = fc.oneof(
    ...(names.length === 0 ? [] : [{ weight: 4, arbitrary: fc.constantFrom(...names).chain((name) => fc.tuple(fc.constant(name), fc.oneof(known[name] ?? fc.constant(''), hostileString))) }]),
    { weight: 1, arbitrary: fc.tuple(hostileKey, hostileString) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('dryRun', 'limit', 'cursor', 'status'), fc.constantFrom('true', 'false', 'TRUE', '1', '', '0', '-1', '101', '1e2', 'true,true')) },
  );
  return fc.array(pair, { maxLength: 5 }).chain((pairs) =>
    fc.tuple(...pairs.map(([name, value]) => fc.tuple(encodedQueryPart(name), encodedQueryPart(value), fc.constantFrom('=', '=', '', '==')))).map((encoded) =>
      encoded.map(([name, value, equals]) => (equals === '' ? name : `${name}${equals}${value}`)).join('&'),
    ),
  );
}

/** One path segment, and whether it still names the route's own segment (`matches`) and decodes as UTF-8 (`wellFormed`). */
export interface EncodedSegment {
  readonly segment: string;
  readonly matches: boolean;
  readonly wellFormed: boolean;
}

/** One path segment for a parameter's value, encoded the ways a client (or an attacker) may: %2F, %00, twice, overlong, dot segments. */
export function encodedSegment(value: string): fc.Arbitrary<EncodedSegment> {
  const proper = percentEncode(value);
  const same = (segment: string): EncodedSegment => ({ segment, matches: segment !== '' && !/^(\.|%2e){1,2}$/i.test(segment), wellFormed: decodes(segment) });
  const other = (segment: string): EncodedSegment => ({ segment, matches: false, wellFormed: decodes(segment) });
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(same(proper)) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        same(percentEncode(proper)), same(`${proper}%2F..%2F`), same(`${proper}%00`), same(`%C0%AE%C0%AE%C0%AF${proper}`), same(`${proper}%E0%A4%A`),
        same(`${proper}%`), same(`%2e%2e`), same('..'), same('.'), same(`${proper};x=1`), same(proper.toUpperCase()), same(`%u0041${proper}`),
        same(`${proper}%EF%BF%BF`), same(`${proper}%F4%90%80%80`), same(`${proper}%ED%A0%80`), same(`${proper}%0D%0A`), same('x'.repeat(9000)),
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom(other(`${proper}/extra`), other(''), other(`${proper}/`)) },
  );
}

function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}
