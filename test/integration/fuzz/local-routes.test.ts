/**
 * Property-based fuzzing of what only the local runtime serves (local/http-server.ts outside
 * apiRoutes), over real HTTP against the real local service: the console's local sign-in, the
 * evidence store's signed URLs, and the console's paths. Never a 5xx; sign-in and evidence refuse
 * with problem+json; nothing written on a refusal; a token only for the console's own request; an
 * evidence URL honoured only as granted; no file outside the console's folder ever served.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localSecret } from '#local/data-dir.ts';
import { EvidenceUrlSigner, uploadHeaders } from '#local/evidence/signed-urls.ts';
import { changes, startFuzzService, type FuzzService, type Snapshot } from '#test/support/fuzz-service.ts';
import { problemFaults } from '#test/support/fuzz-check.ts';
import { changedUrl, consolePath, evidenceBody, evidenceContent, evidenceGrant, evidenceHeaders, evidencePlan, evidenceSha256, signInPlan } from '#test/support/fuzz-local.ts';
import { prototypeState } from '#test/support/fuzz-prototypes.ts';

/** Runs per surface: with the API fuzz file, well under two minutes on a busy 2-core machine. */
const numRuns = 20;
const seed = process.env['FUZZ_SEED'] === undefined ? undefined : Number(process.env['FUZZ_SEED']);
const canary = 'CANARY-outside-the-console-folder';
const prototypesBefore = prototypeState();

let fuzz: FuzzService;
let root: string;
let signer: EvidenceUrlSigner;
let downloadUrl: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fuzz-console-'));
  const dist = join(root, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(dist, 'assets', 'app.js'), 'console.log("app")');
  await writeFile(join(root, 'secret.txt'), canary);
  fuzz = await startFuzzService(inject('motoEndpoint'), { consoleDir: dist });
  // URLs signed with the service's own secret under DATA_DIR, as its evidence store signs them.
  signer = new EvidenceUrlSigner(await localSecret(fuzz.dataDir, 'evidence-signing-key'), () => fuzz.service.url);
  const upload = { contentType: 'text/plain', size: evidenceContent.length, sha256: evidenceSha256 };
  const key = `actions/${fuzz.seeds.actionIds[0] ?? ''}/seed.txt`;
  const put = signer.sign({ method: 'PUT', key, expires: Math.floor(Date.now() / 1000) + 3600, upload });
  const seeded = await fuzz.send('PUT', new URL(put).pathname + new URL(put).search, evidenceHeaders(uploadHeaders(upload), { header: 'none' } as never), { bytes: evidenceContent });
  if (seeded.status !== 200) throw new Error(`seeding an evidence object answered ${seeded.status}: ${seeded.body}`);
  downloadUrl = signer.sign({ method: 'GET', key, expires: Math.floor(Date.now() / 1000) + 3600 });
}, 120_000);
afterAll(async () => {
  await fuzz.close();
  await rm(root, { recursive: true, force: true });
});

const options = { numRuns, ...(seed === undefined ? {} : { seed }), endOnFailure: true };

// The snapshot after a request that wrote nothing is the next request's before: one snapshot a request.
let last: Snapshot | undefined;
async function snapshotBefore(): Promise<Snapshot> {
  const before = last ?? (await fuzz.snapshot());
  last = undefined;
  return before;
}
async function writtenSince(before: Snapshot): Promise<string[]> {
  const after = await fuzz.snapshot();
  const written = changes(before, after);
  if (written.length === 0) last = after;
  return written;
}
const targetOf = (url: string): string => url.slice(url.indexOf('/', 'http://'.length));

describe('fuzzing what the local runtime serves besides the API', () => {
  it('POST /local/sign-in: never a 5xx, refusals as problem+json, a token only for the console\'s own JSON request, nothing written', async () => {
    const own = new URL(fuzz.service.url).host;
    await fc.assert(
      fc.asyncProperty(signInPlan, async (plan) => {
        // Arrange
        const host = { own, localhost: `localhost:${new URL(fuzz.service.url).port}`, other: 'evil.example', absent: '', 'own-v6': `[::1]:${new URL(fuzz.service.url).port}` }[plan.host];
        const origin = { own: `http://${own}`, other: 'http://evil.example', absent: undefined, null: 'null', 'own-https': `https://${own}` }[plan.origin];
        const headers = { ...plan.headers, host, ...(origin === undefined ? {} : { origin }), ...(plan.fetchSite === undefined ? {} : { 'sec-fetch-site': plan.fetchSite }) };
        const before = await snapshotBefore();

        // Act
        const answer = await fuzz.send(plan.method, '/local/sign-in', headers, plan.method === 'GET' || plan.method === 'HEAD' ? undefined : plan.body);

        // Assess
        const written = await writtenSince(before);
        const wrong = [
          ...(answer.status >= 500 ? [`answered ${answer.status}: ${answer.body.slice(0, 200)}`] : []),
          ...(answer.status >= 400 && plan.method !== 'HEAD' ? problemFaults(answer) : []),
          ...(answer.status === 200 && (plan.host !== 'own' || plan.origin !== 'own' || plan.method !== 'POST') ? [`a token went to host ${plan.host}, origin ${plan.origin}, ${plan.method}`] : []),
          ...(written.length > 0 ? [`sign-in wrote: ${written.join('; ')}`] : []),
        ];
        if (wrong.length > 0) throw new Error(wrong.join('\n'));
      }),
      options,
    );
  }, 120_000);

  it('/local-evidence/ URLs: never a 5xx, refusals as problem+json, honoured only as granted, nothing written on a refusal', async () => {
    let honoured = 0;
    await fc.assert(
      fc.asyncProperty(evidencePlan, async (plan) => {
        // Arrange: a fresh object name per upload, so an accepted one never makes the next a 412
        const upload = { contentType: 'text/plain', size: evidenceContent.length, sha256: evidenceSha256 };
        const signed = plan.kind === 'upload' ? signer.sign({ method: 'PUT', key: `actions/${fuzz.seeds.actionIds[0] ?? ''}/${plan.name}`, expires: Math.floor(Date.now() / 1000) + 300, upload }) : downloadUrl;
        const method = plan.method ?? (plan.kind === 'upload' ? 'PUT' : 'GET');
        const sendsBody = method !== 'GET' && method !== 'HEAD';
        const before = await snapshotBefore();

        // Act
        const answer = await fuzz.send(method, targetOf(changedUrl(signed, plan)), plan.kind === 'upload' ? evidenceHeaders(uploadHeaders(upload), plan) : {}, sendsBody ? { bytes: evidenceBody(plan) } : undefined);

        // Assess
        const written = await writtenSince(before);
        const grant = evidenceGrant(plan);
        if (answer.status === 200) honoured += 1;
        const wrong = [
          ...(answer.status >= 500 ? [`answered ${answer.status}: ${answer.body.slice(0, 200)}`] : []),
          ...(answer.status >= 400 && method !== 'HEAD' ? problemFaults(answer) : []),
          ...(answer.status < 300 && !grant.equivalent ? [`honoured a request changed from its grant (${answer.status})`] : []),
          ...(grant.exact && answer.status !== 200 ? [`refused the request exactly as granted: ${answer.status} ${answer.body.slice(0, 200)}`] : []),
          ...(answer.status >= 300 && written.length > 0 ? [`refused with ${answer.status} but wrote: ${written.join('; ')}`] : []),
          // An honoured download is appended to the trail (issue 15); a refused one writes nothing (above).
          ...(plan.kind === 'download' && written.some((change) => !change.startsWith('file trail/')) ? [`a download wrote: ${written.join('; ')}`] : []),
        ];
        if (wrong.length > 0) throw new Error(wrong.join('\n'));
      }),
      options,
    );
    expect(honoured).toBeGreaterThan(0);
  }, 120_000);

  it('console paths: never a 5xx, nothing outside the console\'s folder served, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(consolePath, async ({ method, path }) => {
        // Arrange
        const before = await snapshotBefore();

        // Act
        const answer = await fuzz.send(method, path, {}, undefined);

        // Assess
        const written = await writtenSince(before);
        const wrong = [
          ...(answer.status >= 500 ? [`answered ${answer.status}: ${answer.body.slice(0, 200)}`] : []),
          ...(answer.body.includes(canary) ? ['served a file outside the console folder'] : []),
          ...(written.length > 0 ? [`wrote: ${written.join('; ')}`] : []),
        ];
        if (wrong.length > 0) throw new Error(wrong.join('\n'));
      }),
      options,
    );
  }, 120_000);

  it('left the built-in prototypes as they were in the service\'s process', () => {
    // Assess
    expect(prototypeState()).toEqual(prototypesBefore);
  });
});
