/** Evidence: object keys and names, and the errors of the evidence store (the port is in `shared/ports.ts`). */
export {
  EvidenceExistsError,
  EvidenceIntegrityError,
  InvalidEvidenceInputError,
  InvalidEvidenceNameError,
} from './errors.ts';
export {
  assertActionId,
  assertContentType,
  assertEvidenceName,
  evidenceKey,
  evidencePrefix,
  isSafeEvidenceSegment,
  maxPresignedUrlSeconds,
  normalizeSha256,
  parseEvidenceKey,
  presignedUrlSeconds,
} from './keys.ts';
