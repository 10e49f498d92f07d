import { createHmac, sign, verify, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WorkOrder } from '#shared/responders/protocol.ts';
import { generateWorkSigningJwk, signWorkOrder, TrustedWorkKeys, UntrustedWorkError, workJwsType, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';

const key = workSigningKeyFromJwk(generateWorkSigningJwk());
const trusted = new TrustedWorkKeys([key.publicJwk]);
const order: WorkOrder = {
  v: 1,
  actionId: 'a-1',
  type: 'file-quarantine',
  inputs: { 'host.id': 'web-1', 'path.absolute': '/srv/x' },
  target: { kind: 'host', name: 'web-1' },
  undoOf: null,
  issuedAt: '2026-12-05T10:00:00.000Z',
  pickupDeadline: '2026-12-05T10:05:00.000Z',
  completionDeadline: '2026-12-05T10:15:00.000Z',
};

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact JWS made with node:crypto by hand (RFC 7515 §7.1), not with the code under test. */
function handMade(header: Record<string, unknown>, payload: unknown, signer: (input: Buffer) => Buffer = (input) => sign(null, input, key.privateKey)): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer(Buffer.from(input, 'ascii')).toString('base64url')}`;
}

async function refusal(work: string): Promise<UntrustedWorkError> {
  const error: unknown = await trusted.verify(work).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof UntrustedWorkError)) throw new Error(`expected the work to be refused, got ${String(error)}`);
  return error;
}

describe('work orders as a compact JWS', () => {
  it('are accepted when made by an independent implementation (node:crypto by hand) with the pinned key', async () => {
    // Prepare
    const work = handMade({ alg: 'EdDSA', kid: key.keyId, typ: workJwsType }, order);

    // Act
    const verified = await trusted.verify(work);

    // Assess
    expect(verified).toEqual(order);
  });

  it('verify with node:crypto by hand (how a responder in another language checks them): header alg EdDSA, kid the thumbprint, typ', async () => {
    // Act
    const work = await signWorkOrder(order, key);

    // Assess
    const [header = '', payload = '', signature = ''] = work.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toEqual({ alg: 'EdDSA', kid: key.keyId, typ: 'response-actions-work+jws' });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))).toEqual(order);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicJwk.x }, format: 'jwk' });
    expect(verify(null, Buffer.from(`${header}.${payload}`, 'ascii'), publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('are refused when the payload was altered after signing', async () => {
    // Prepare
    const [header = '', , signature = ''] = (await signWorkOrder(order, key)).split('.');
    const altered = `${header}.${b64({ ...order, inputs: { 'host.id': 'web-1', 'path.absolute': '/etc/passwd' } })}.${signature}`;

    // Act
    const error = await refusal(altered);

    // Assess
    expect(error.reason).toBe('signature');
  });

  it('are refused when signed by another key under the trusted kid, or by a key nobody pinned', async () => {
    // Prepare
    const stranger = workSigningKeyFromJwk(generateWorkSigningJwk());
    const underOurKid = handMade({ alg: 'EdDSA', kid: key.keyId, typ: workJwsType }, order, (input) => sign(null, input, stranger.privateKey));

    // Act
    const forged = await refusal(underOurKid);
    const unknown = await refusal(await signWorkOrder(order, stranger));

    // Assess
    expect(forged.reason).toBe('signature');
    expect(unknown.reason).toBe('unknown-key');
    expect(unknown.message).toContain(stranger.keyId);
  });

  it('are refused with alg none, or HS256 keyed with the public key (algorithm confusion), before any key is used', async () => {
    // Prepare
    const none = `${b64({ alg: 'none', kid: key.keyId, typ: workJwsType })}.${b64(order)}.`;
    const hs256 = handMade({ alg: 'HS256', kid: key.keyId, typ: workJwsType }, order, (input) => createHmac('sha256', key.publicJwk.x).update(input).digest());
    const noneWithSignature = handMade({ alg: 'none', kid: key.keyId, typ: workJwsType }, order);

    // Act
    const refusals = await Promise.all([none, hs256, noneWithSignature].map(refusal));

    // Assess
    expect(refusals.map((error) => error.reason)).toEqual(['header', 'header', 'header']);
    expect(refusals[1]?.message).toContain('alg must be EdDSA');
  });

  it('are refused, though validly signed, when the header carries crit, another member, or another typ', async () => {
    // Prepare: each signed with the genuine key, so only the header can be why.
    const headers = [
      { alg: 'EdDSA', kid: key.keyId, typ: workJwsType, crit: ['exp'], exp: 1 },
      { alg: 'EdDSA', kid: key.keyId, typ: workJwsType, jwk: key.publicJwk },
      { alg: 'EdDSA', kid: key.keyId, typ: 'JWT' },
      { alg: 'EdDSA', kid: key.keyId },
      { alg: 'EdDSA', typ: workJwsType },
    ];

    // Act
    const refusals = await Promise.all(headers.map((header) => refusal(handMade(header, order))));

    // Assess
    expect(refusals.map((error) => error.reason)).toEqual(['header', 'header', 'header', 'header', 'header']);
    expect(refusals[0]?.message).toContain('crit');
    expect(refusals[1]?.message).toContain('jwk');
  });

  it('are refused when the signed payload is not a work order, or the text is not a compact JWS', async () => {
    // Act
    const notOrder = await refusal(handMade({ alg: 'EdDSA', kid: key.keyId, typ: workJwsType }, { ...order, extra: true }));
    const notJws = await refusal('{"payload":"p","signature":"s","keyId":"k"}');

    // Assess
    expect(notOrder.reason).toBe('malformed');
    expect(notJws.reason).toBe('malformed');
  });
});
