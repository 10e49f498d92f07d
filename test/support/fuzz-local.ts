/**
 * The fuzzer's requests for what only the local runtime serves (local/http-server.ts outside
 * apiRoutes): `POST /local/sign-in`, the evidence store's signed URLs under `/local-evidence/`,
 * and the console's paths. Each is a plan the test turns into a request against the running
 * service (a signed URL needs the service's secret and a fresh key per run).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { contentTypes, encodedSegment, extraHeaders, hostileString, mutatedBody, percentEncode, type EncodedSegment, type WireBody } from './fuzz-arbitraries.ts';
import { personScopes } from './fuzz-service.ts';

/** A sign-in: the Host and Origin the console would send, or others; a body with scopes and sub, mutated. */
export interface SignInPlan {
  readonly host: 'own' | 'localhost' | 'other' | 'absent' | 'own-v6';
  readonly origin: 'own' | 'other' | 'absent' | 'null' | 'own-https';
  readonly fetchSite: string | undefined;
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: WireBody | undefined;
}

export const signInPlan: fc.Arbitrary<SignInPlan> = fc.record({
  host: fc.oneof({ weight: 6, arbitrary: fc.constant('own' as const) }, { weight: 1, arbitrary: fc.constantFrom('localhost' as const, 'other' as const, 'absent' as const, 'own-v6' as const) }),
  origin: fc.oneof({ weight: 6, arbitrary: fc.constant('own' as const) }, { weight: 1, arbitrary: fc.constantFrom('other' as const, 'absent' as const, 'null' as const, 'own-https' as const) }),
  fetchSite: fc.option(fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none'), { nil: undefined }),
  method: fc.oneof({ weight: 8, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'HEAD', 'OPTIONS') }),
  headers: fc.tuple(contentTypes, fc.option(extraHeaders, { freq: 3, nil: undefined })).map(([type, extra]) => ({ ...(type === undefined ? {} : { 'content-type': type }), ...extra })),
  body: mutatedBody(fc.record({ scopes: fc.subarray([...personScopes.slice(0, 4)], { minLength: 1 }), sub: fc.constantFrom('alice', 'local-user', 'automation:r1', 'a/b') })),
});

/** What an evidence URL request changes from the URL and headers the store granted. */
export interface EvidencePlan {
  readonly kind: 'download' | 'upload';
  readonly method: string | undefined;
  readonly url:
    | { readonly change: 'none' | 'signature' | 'drop-signature' | 'duplicate-signature' | 'extra-parameter' | 'expired' | 'expires-huge' | 'expires-text' | 'size' | 'content-type' | 'double-slash' | 'dot-segments' }
    | { readonly change: 'name'; readonly name: EncodedSegment };
  readonly header: 'none' | 'drop-checksum' | 'other-content-type' | 'unsigned-amz' | 'no-if-none-match' | 'other-meta-sha256';
  readonly content: 'granted' | 'other-bytes' | 'shorter';
  readonly name: string;
}

export const evidencePlan: fc.Arbitrary<EvidencePlan> = fc.record({
  kind: fc.constantFrom('download' as const, 'upload' as const),
  method: fc.option(fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'), { freq: 4, nil: undefined }),
  url: fc.oneof(
    { weight: 4, arbitrary: fc.constant({ change: 'none' as const }) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        ...(['signature', 'drop-signature', 'duplicate-signature', 'extra-parameter', 'expired', 'expires-huge', 'expires-text', 'size', 'content-type', 'double-slash', 'dot-segments'] as const).map((change) => ({ change })),
      ),
    },
    { weight: 2, arbitrary: hostileString.chain(encodedSegment).map((name) => ({ change: 'name' as const, name })) },
  ),
  header: fc.oneof({ weight: 4, arbitrary: fc.constant('none' as const) }, { weight: 2, arbitrary: fc.constantFrom('drop-checksum' as const, 'other-content-type' as const, 'unsigned-amz' as const, 'no-if-none-match' as const, 'other-meta-sha256' as const) }),
  content: fc.oneof({ weight: 4, arbitrary: fc.constant('granted' as const) }, { weight: 1, arbitrary: fc.constantFrom('other-bytes' as const, 'shorter' as const) }),
  name: fc.stringMatching(/^[a-z0-9]{8,16}$/).map((name) => `fuzz-${name}.txt`),
});

export const evidenceContent = Buffer.from('evidence the fuzzer uploads\n');
export const evidenceSha256 = createHash('sha256').update(evidenceContent).digest('hex');

/**
 * `exact`: the request is what the store granted, so a 200 is due. `equivalent`: it is that, or
 * names the same object (`%2e%2e` segments resolve back to the granted key), so a 200 is allowed.
 */
export function evidenceGrant(plan: EvidencePlan): { readonly exact: boolean; readonly equivalent: boolean } {
  const method = plan.method ?? (plan.kind === 'upload' ? 'PUT' : 'GET');
  const asGranted = method === (plan.kind === 'upload' ? 'PUT' : 'GET') && (plan.kind === 'download' || (plan.header === 'none' && plan.content === 'granted'));
  return { exact: asGranted && plan.url.change === 'none', equivalent: asGranted && (plan.url.change === 'none' || plan.url.change === 'dot-segments') };
}

/** The signed URL with the plan's change made. */
export function changedUrl(signed: string, plan: EvidencePlan): string {
  const url = new URL(signed);
  const query = url.searchParams;
  const signature = query.get('signature') ?? '';
  switch (plan.url.change) {
    case 'none':
      break;
    case 'signature':
      query.set('signature', `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`);
      break;
    case 'drop-signature':
      query.delete('signature');
      break;
    case 'duplicate-signature':
      query.append('signature', signature);
      break;
    case 'extra-parameter':
      query.append('x-amz-acl', 'public-read');
      break;
    case 'expired':
      query.set('expires', '1');
      break;
    case 'expires-huge':
      query.set('expires', '1e30');
      break;
    case 'expires-text':
      query.set('expires', 'never');
      break;
    case 'size':
      query.set('size', '1');
      break;
    case 'content-type':
      query.set('content-type', 'text/html');
      break;
    // Written into the text: URL would resolve them away.
    case 'double-slash':
      return signed.replace('/actions/', '//actions/');
    case 'dot-segments':
      return signed.replace('/actions/', '/actions/%2e%2e/actions/');
    case 'name':
      return `${url.origin}${url.pathname.replace(/[^/]+$/, plan.url.name.segment)}${url.search}`;
  }
  return url.toString();
}

/** The upload's headers (those granted, or changed as the plan says). */
export function evidenceHeaders(granted: Readonly<Record<string, string>>, plan: EvidencePlan): Record<string, string> {
  const headers = { ...granted };
  switch (plan.header) {
    case 'none':
      break;
    case 'drop-checksum':
      Reflect.deleteProperty(headers, 'x-amz-checksum-sha256');
      break;
    case 'other-content-type':
      headers['content-type'] = 'text/html';
      break;
    case 'unsigned-amz':
      headers['x-amz-copy-source'] = '/other-bucket/secret';
      break;
    case 'no-if-none-match':
      Reflect.deleteProperty(headers, 'if-none-match');
      break;
    case 'other-meta-sha256':
      headers['x-amz-meta-sha256'] = '0'.repeat(64);
      break;
  }
  Reflect.deleteProperty(headers, 'content-length');
  return headers;
}

/** The bytes the plan sends: the granted content, other bytes of its length, or fewer. */
export function evidenceBody(plan: EvidencePlan): Buffer {
  if (plan.content === 'other-bytes') return Buffer.alloc(evidenceContent.length, 0x41);
  if (plan.content === 'shorter') return evidenceContent.subarray(0, 5);
  return evidenceContent;
}

/** A console path: a page address, an asset, a way out of the console's folder, encodings of all of them. */
export const consolePath: fc.Arbitrary<{ readonly method: string; readonly path: string }> = fc.record({
  method: fc.oneof({ weight: 6, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constantFrom('HEAD', 'POST', 'PUT', 'DELETE') }),
  path: fc.oneof(
    fc.constantFrom('/', '/index.html', '/assets/app.js', '/console-config.json', '/actions/abc', '/resources/arn%3Aaws%3Aiam%3A%3A1%3Auser%2Fx', '/favicon.ico'),
    fc.constantFrom('/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%5c..%5csecret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/%c0%ae%c0%ae/secret.txt', '/assets/../../secret.txt', '/index.html%00.js', '/./index.html', '/assets//app.js', '/ASSETS/APP.JS', '/assets/app.js/', '/%252e%252e/secret.txt'),
    fc.array(hostileString.map(percentEncode), { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
    fc.webPath(),
  ),
});
