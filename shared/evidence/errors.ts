/**
 * Named errors of the evidence store. Each says what happened in words a person can act on;
 * the HTTP layer maps them to 4xx, and anything else is a 500.
 */

/** An evidence object of this name already exists for the action; evidence is written once. */
export class EvidenceExistsError extends Error {
  override readonly name = 'EvidenceExistsError';
  readonly key: string;

  constructor(key: string, options?: ErrorOptions) {
    super(`evidence ${key} already exists; evidence is written once, so choose another name`, options);
    this.key = key;
  }
}

/** An action id or evidence name that cannot be part of an object key. */
export class InvalidEvidenceNameError extends Error {
  override readonly name = 'InvalidEvidenceNameError';
  readonly field: 'actionId' | 'name';

  constructor(field: 'actionId' | 'name', value: string) {
    super(
      `${field === 'name' ? 'evidence name' : 'action id'} ${JSON.stringify(value.slice(0, 80))} is not allowed: ` +
        'use 1-200 characters from A-Z a-z 0-9 . _ -, not starting with a dot and without ".."',
    );
    this.field = field;
  }
}

/** A content type, size, SHA-256 or expiry that the evidence store cannot accept. */
export class InvalidEvidenceInputError extends Error {
  override readonly name = 'InvalidEvidenceInputError';
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** The bytes that reached the store are not the bytes that were hashed (S3 answered BadDigest). */
export class EvidenceIntegrityError extends Error {
  override readonly name = 'EvidenceIntegrityError';
  readonly key: string;

  constructor(key: string, options?: ErrorOptions) {
    super(`the store refused ${key}: the bytes received do not match their SHA-256; write it again`, options);
    this.key = key;
  }
}
