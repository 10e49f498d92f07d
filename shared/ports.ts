import type { ActionRecord } from '#shared/history/record.ts';

/**
 * Hands a recorded action to its executor. For a cloud action: starts the Step Functions
 * execution of its family's state machine, named after the action id so a retry can never
 * start it twice (an execution that already exists counts as started).
 */
export interface WorkStarter {
  start(record: ActionRecord): Promise<void>;
}

/** One evidence object, written once, as listed by GET /v1/actions/{id}/evidence. */
export interface EvidenceObject {
  readonly name: string;
  /** Object key in the evidence bucket: `actions/<actionId>/<name>`. */
  readonly key: string;
  readonly size: number;
  /** Hex SHA-256 of the content, computed by the writer and checked by the store. */
  readonly sha256: string;
  readonly contentType: string;
  readonly createdAt: string;
}

export interface UploadGrant {
  readonly url: string;
  readonly method: 'PUT';
  /** Headers the uploader must send exactly (content type, checksum). */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

/** Where evidence lives: S3 in AWS (shared/adapters/s3-evidence-store.ts), files under DATA_DIR locally (local/evidence/). */
export interface EvidenceStore {
  /** Writes an object once; a second write of the same name fails. */
  put(actionId: string, name: string, body: Uint8Array | string, contentType: string): Promise<EvidenceObject>;
  list(actionId: string): Promise<EvidenceObject[]>;
  /** A short-lived GET URL. Never logged. */
  downloadUrl(object: EvidenceObject, expiresInSeconds: number): Promise<string>;
  /** A short-lived PUT URL for a responder to upload one object of known size and SHA-256. */
  uploadUrl(
    actionId: string,
    name: string,
    expected: { readonly contentType: string; readonly size: number; readonly sha256: string },
    expiresInSeconds: number,
  ): Promise<UploadGrant>;
}
