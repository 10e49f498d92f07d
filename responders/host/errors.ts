/**
 * The error codes host actions end with, and helpers that turn system errors into sentences a
 * person can act on (what was refused, and what permission or state is missing).
 */
import { ResponderActionError } from '#shared/responders/protocol.ts';

export const hostErrorCodes = [
  'ProtectedProcess',
  'ProtectedContainer',
  'ProcessNotFound',
  'NotAProcess',
  'StartTimeMismatch',
  'ContainerMismatch',
  'ProcessStillRunning',
  'PermissionDenied',
  'FileNotFound',
  'NotARegularFile',
  'FileTooLarge',
  'PathEscapesContainer',
  'ProtectedPath',
  'TooManyLinks',
  'PathChanged',
  'QuarantineUnsafe',
  'QuarantineEntryExists',
  'QuarantinedFileMissing',
  'QuarantineRecordMissing',
  'HashMismatch',
  'DestinationExists',
  'DestinationChanged',
  'DestinationParentMissing',
  'NothingToUndo',
  'UndoMismatch',
  'EvidenceMismatch',
  'ContainerNotFound',
  'ContainerNameAmbiguous',
  'ContainerNotRunning',
  'ContainerConflict',
  'ContainerFilesystemUnavailable',
  'NoContainerRuntime',
  'UnsupportedByRuntime',
  'ContainerRuntimeError',
  'FileSystemError',
] as const;
export type HostErrorCode = (typeof hostErrorCodes)[number];

/** A host action's failure: a stable code from {@link hostErrorCodes} and a sentence. */
export function hostError(code: HostErrorCode, message: string, cause?: unknown): ResponderActionError {
  return new ResponderActionError(code, message, cause === undefined ? undefined : { cause });
}

/** The errno code (`ENOENT`, `EPERM`, ...) of a system error, or undefined. */
export function errnoOf(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

export function isErrno(error: unknown, ...codes: readonly string[]): boolean {
  const code = errnoOf(error);
  return code !== undefined && codes.includes(code);
}

/**
 * Maps a failed file system call on `subject` to a host error: a missing file, a permission
 * the responder lacks (naming it), or any other errno as FileSystemError. Errors that are
 * already host errors pass through.
 */
export function fileSystemError(error: unknown, doing: string, subject: string, needs: string): ResponderActionError {
  if (error instanceof ResponderActionError) return error;
  const code = errnoOf(error);
  if (code === 'ENOENT') return hostError('FileNotFound', `${doing} ${subject}: it does not exist`, error);
  if (code === 'EACCES' || code === 'EPERM') {
    return hostError('PermissionDenied', `${doing} ${subject}: permission denied (${code}); ${needs}`, error);
  }
  if (code === 'EROFS') return hostError('FileSystemError', `${doing} ${subject}: the file system is read-only here`, error);
  const detail = error instanceof Error ? error.message : String(error);
  return hostError('FileSystemError', `${doing} ${subject} failed: ${detail}`, error);
}
