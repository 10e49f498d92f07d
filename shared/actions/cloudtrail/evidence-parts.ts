/**
 * The evidence a lookup writes: once, never appended to; a name that already holds other bytes
 * is left as it is and the part goes under a retry name.
 */
import { createHash } from 'node:crypto';
import { EvidenceExistsError } from '#shared/evidence/errors.ts';
import type { EvidenceObject } from '#shared/ports.ts';
import type { CloudTrailContext, Settings } from './lookup-events.ts';
import { cloudTrailEvidenceContentType, type EvidenceEntry } from './lookup-plan.ts';

/** Reading or writing the service's own evidence bucket failed (not the target account: named apart). */
export class EvidenceStoreError extends Error {
  override readonly name = 'EvidenceStoreError';
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `cloudtrail-events.jsonl` → `cloudtrail-events-r2.jsonl`: where a retried write goes when its first name holds other bytes. */
function retryName(name: string, attempt: number): string {
  return name.replace(/\.jsonl$/, `-r${attempt}.jsonl`);
}

/**
 * Writes one part once. A name that already exists was written by an earlier attempt of this step
 * that failed before recording it: the same bytes are taken as written; other bytes (events that
 * arrived late in the window) are kept where they are, listed as unrecorded, and this part goes
 * under a retry name.
 */
export async function writePart(
  context: CloudTrailContext,
  settings: Settings,
  name: string,
  body: string,
  eventCount: number,
): Promise<{ entry: EvidenceEntry; unrecorded: string[] }> {
  const unrecorded: string[] = [];
  const sha256 = sha256Hex(body);
  const size = Buffer.byteLength(body, 'utf8');
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const candidate = attempt === 1 ? name : retryName(name, attempt);
    let object: EvidenceObject | undefined;
    try {
      object = await settings.evidence.put(context.record.id, candidate, body, cloudTrailEvidenceContentType);
    } catch (error) {
      if (!(error instanceof EvidenceExistsError)) {
        throw new EvidenceStoreError(`writing evidence ${candidate} of action ${context.record.id} failed: ${describe(error)}`, { cause: error });
      }
      object = (await listEvidence(context, settings)).find((listed) => listed.name === candidate);
      if (object?.sha256 !== sha256 || object.size !== size) {
        unrecorded.push(candidate);
        continue;
      }
    }
    return { entry: { name: object.name, key: object.key, size: object.size, sha256: object.sha256, contentType: object.contentType, eventCount }, unrecorded };
  }
  throw new EvidenceStoreError(`evidence ${name} of action ${context.record.id} could not be written under any free name`);
}

export async function listEvidence(context: CloudTrailContext, settings: Settings): Promise<EvidenceObject[]> {
  try {
    return await settings.evidence.list(context.record.id);
  } catch (error) {
    throw new EvidenceStoreError(`listing the evidence of action ${context.record.id} failed: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
