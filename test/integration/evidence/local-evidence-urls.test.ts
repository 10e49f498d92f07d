import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { EvidenceObject } from '#shared/ports.ts';
import { binaryEvidence, freshDataDir, independentSha256, removeDataDir, startEvidenceBackend, type EvidenceBackend } from './embedded-evidence.ts';

/*
 * The local evidence store's URLs against someone who holds one URL, or none: each refused
 * request is answered 403 (problem+json) and nothing is read or written.
 */

let backend: EvidenceBackend;
let other: EvidenceBackend;
const dataDirs: string[] = [];
beforeAll(async () => {
  for (let index = 0; index < 2; index += 1) dataDirs.push(await freshDataDir());
  backend = await startEvidenceBackend(dataDirs[0] ?? '');
  // Another DATA_DIR: another secret.
  other = await startEvidenceBackend(dataDirs[1] ?? '');
});
afterAll(async () => {
  await backend.stop();
  await other.stop();
  for (const dataDir of dataDirs) await removeDataDir(dataDir);
});

const newActionId = (): string => `act-${randomUUID()}`;

async function grantFor(actionId: string, name: string, body: Buffer, store = backend.store): Promise<{ url: string; headers: Readonly<Record<string, string>> }> {
  return store.uploadUrl(actionId, name, { contentType: 'text/plain', size: body.byteLength, sha256: await independentSha256(body) }, 60);
}

async function refusedAs(response: Response): Promise<{ status: number; type: string | null; body: string }> {
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

describe('local evidence URLs', () => {
  it('refuses a request without a signature, and paths that are not actions/<actionId>/<name>', async () => {
    // Prepare
    const object = await backend.store.put(newActionId(), 'a.txt', 'a', 'text/plain');

    // Act
    const paths = [`/local-evidence/${object.key}`, '/local-evidence/elsewhere/x.txt', '/local-evidence/actions/a/b/c.txt', '/local-evidence/actions/%2e%2e/x'];
    const answers = await Promise.all(paths.map(async (each) => refusedAs(await fetch(`${backend.url}${each}`))));

    // Assess
    for (const answer of answers) expect(answer).toMatchObject({ status: 403, type: 'application/problem+json' });
    expect(answers[0]?.body).toContain('AccessDenied');
  });

  it('refuses a download URL moved to another key, used to upload, or carrying an extra parameter', async () => {
    // Prepare
    const actionId = newActionId();
    const object = await backend.store.put(actionId, 'mine.txt', 'mine', 'text/plain');
    const secret = await backend.store.put(newActionId(), 'secret.txt', 'SECRET', 'text/plain');
    const url = await backend.store.downloadUrl(object, 60);

    // Act
    const moved = await fetch(url.replace(object.key, secret.key));
    const asUpload = await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' });
    const extra = await fetch(`${url}&response-content-type=text%2Fhtml`);
    const longer = await fetch(url.replace(/expires=(\d+)/, (_, seconds: string) => `expires=${Number(seconds) + 3600}`));

    // Assess
    expect(await refusedAs(moved)).toMatchObject({ status: 403, body: expect.stringContaining('SignatureDoesNotMatch') as unknown });
    expect((await refusedAs(asUpload)).status).toBe(403);
    expect((await refusedAs(extra)).status).toBe(403);
    expect((await refusedAs(longer)).status).toBe(403);
    expect((await backend.store.list(actionId)).map((each) => each.name)).toEqual(['mine.txt']);
  });

  it("refuses an upload URL replayed to another action's key, used to download, or signed by another DATA_DIR", async () => {
    // Prepare
    const [actionA, actionB] = [newActionId(), newActionId()];
    const body = Buffer.from('evidence of A');
    const grant = await grantFor(actionA, 'a.txt', body);
    const foreign = await grantFor(actionB, 'b.txt', body, other.store);

    // Act
    const replayed = await fetch(grant.url.replace(actionA, actionB), { method: 'PUT', headers: grant.headers, body });
    const asDownload = await fetch(grant.url);
    const foreignHere = await fetch(foreign.url.replace(other.url, backend.url), { method: 'PUT', headers: foreign.headers, body });

    // Assess
    for (const refused of [replayed, asDownload, foreignHere]) expect((await refusedAs(refused)).status).toBe(403);
    expect(await backend.store.list(actionB)).toEqual([]);
    expect(await backend.store.list(actionA)).toEqual([]);
    expect(await readdir(path.join(backend.dataDir, 'evidence'))).not.toContain(actionB);
  });

  it('refuses an upload URL whose granted type, size or SHA-256 was rewritten to fit other bytes', async () => {
    // Prepare: the grant is for the bytes the responder hashed; the attacker has other bytes and rewrites the URL and headers to fit them.
    const actionId = newActionId();
    const granted = Buffer.from('the bytes the responder hashed');
    const swapped = Buffer.from('<script>the attacker\'s bytes</script>');
    const grant = await grantFor(actionId, 'log.txt', granted);
    const swappedSha256 = await independentSha256(swapped);
    const fitted = {
      ...grant.headers,
      'content-length': String(swapped.byteLength),
      'x-amz-checksum-sha256': Buffer.from(swappedSha256, 'hex').toString('base64'),
      'x-amz-meta-sha256': swappedSha256,
    };
    const rewrite = (url: string, name: string, value: string): string => {
      const rewritten = new URL(url);
      rewritten.searchParams.set(name, value);
      return rewritten.toString();
    };

    // Act
    const bothRewritten = rewrite(rewrite(grant.url, 'sha256', swappedSha256), 'size', String(swapped.byteLength));
    const answers = [
      await fetch(bothRewritten, { method: 'PUT', headers: fitted, body: swapped }),
      await fetch(rewrite(grant.url, 'content-type', 'text/html'), { method: 'PUT', headers: { ...grant.headers, 'content-type': 'text/html' }, body: granted }),
    ];

    // Assess
    for (const answer of answers) expect(await refusedAs(answer)).toMatchObject({ status: 403, body: expect.stringContaining('SignatureDoesNotMatch') as unknown });
    expect(await backend.store.list(actionId)).toEqual([]);
  });

  it("refuses an upload URL sent with an unsigned x-amz-copy-source, so it cannot copy another action's evidence", async () => {
    // Prepare: action B holds evidence; a responder holds an upload grant for action A.
    const secret = await backend.store.put(`act-b-${randomUUID()}`, 'secret.txt', 'SECRET-OF-B', 'text/plain');
    const actionA = `act-a-${randomUUID()}`;
    const body = 'A-evidence';
    const grant = await grantFor(actionA, 'copy.txt', Buffer.from(body));

    // Act: the grant's URL and headers, plus a copy source it was never signed for.
    const copied = await fetch(grant.url, { method: 'PUT', headers: { ...grant.headers, 'x-amz-copy-source': `/bucket/${secret.key}` } });
    const genuine = await fetch(grant.url, { method: 'PUT', headers: grant.headers, body });

    // Assess: refused and nothing copied; the same URL used as granted still works.
    expect(copied.status).toBe(403);
    expect(await copied.text()).toContain('x-amz-copy-source');
    expect(genuine.status).toBe(200);
    const stored = await backend.store.list(actionA);
    expect(stored.map((object) => object.name)).toEqual(['copy.txt']);
    const download = await fetch(await backend.store.downloadUrl(stored[0] as EvidenceObject, 60));
    expect(Buffer.from(await download.arrayBuffer())).toEqual(Buffer.from(body));
  });

  it('refuses more bytes than granted before reading them, and streams a large upload past the API body limit', async () => {
    // Prepare: 24 MiB, over the API's 1 MiB body limit and the 11 MiB the embedded S3 took.
    const actionId = newActionId();
    const large = Buffer.concat(Array.from({ length: 24 * 4 }, (_, index) => Buffer.alloc(256 * 1024, index)));
    const small = Buffer.from(binaryEvidence('small'));
    const grant = await grantFor(actionId, 'small.txt', small);
    const largeGrant = await backend.store.uploadUrl(actionId, 'large.bin', { contentType: 'application/octet-stream', size: large.byteLength, sha256: await independentSha256(large) }, 60);

    // Act
    const tooLong = await fetch(grant.url, { method: 'PUT', headers: { ...grant.headers, 'content-length': String(small.byteLength + 1) }, body: Buffer.concat([small, Buffer.from('!')]) });
    const listedAfterRefusal = await backend.store.list(actionId);
    const stored = await fetch(largeGrant.url, { method: 'PUT', headers: largeGrant.headers, body: large });

    // Assess
    expect((await refusedAs(tooLong)).status).toBe(403);
    expect(listedAfterRefusal).toEqual([]);
    expect(stored.status).toBe(200);
    const [object] = await backend.store.list(actionId);
    expect(object).toMatchObject({ name: 'large.bin', size: large.byteLength, sha256: await independentSha256(large) });
    expect(await backend.store.verify(object as EvidenceObject)).toMatchObject({ intact: true });
  });

  // The console will be served from this origin: evidence a responder uploaded as HTML must never run there.
  it('serves uploaded HTML only as a sandboxed download: attachment, nosniff, and a CSP sandbox with nothing allowed', async () => {
    // Prepare
    const actionId = newActionId();
    const page = Buffer.from('<html><script>fetch("/v1/actions")</script></html>');
    const grant = await backend.store.uploadUrl(actionId, 'page.html', { contentType: 'text/html', size: page.byteLength, sha256: await independentSha256(page) }, 60);
    const uploaded = await fetch(grant.url, { method: 'PUT', headers: grant.headers, body: Uint8Array.from(page) });
    await uploaded.arrayBuffer();
    const [object] = await backend.store.list(actionId);

    // Act
    const download = await fetch(await backend.store.downloadUrl(object as EvidenceObject, 60));
    await download.arrayBuffer();

    // Assess
    expect(uploaded.status).toBe(200);
    expect(download.status).toBe(200);
    expect({
      disposition: download.headers.get('content-disposition'),
      sniffing: download.headers.get('x-content-type-options'),
      policy: download.headers.get('content-security-policy'),
    }).toEqual({ disposition: 'attachment; filename="page.html"', sniffing: 'nosniff', policy: "default-src 'none'; sandbox" });
  });
});
