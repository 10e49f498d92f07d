/**
 * acquire-file: reads a regular file on the host or in a container (never a link, device,
 * socket, FIFO or directory; never more than the configured size) and uploads it as evidence
 * with its SHA-256 and size. It changes nothing.
 *
 * `s3.bucket`: a responder holds no AWS credentials and uploads only through the service's
 * presigned evidence uploads, so the file goes to the service's evidence store and the result
 * says which bucket was asked for; copying it there is the service's part.
 */
import { readlink } from 'node:fs/promises';
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import type { HostEnvironment } from './environment.ts';
import { hostError } from './errors.ts';
import { fileEvidenceName } from './evidence-names.ts';
import { kindOf, lstatBig, modeOwnerTime, openRegularFile, readAndHash } from './file-facts.ts';
import { resolveFile, scopeJson } from './file-scope.ts';
import type { FileScope } from './file-scope.ts';
import { describeFile } from './file-quarantine.ts';
import { optionalText, requiredText } from './inputs.ts';
import { isCheckedEntry } from './protected-paths.ts';
import type { FileIdentity } from './protected-paths.ts';
import type { ScopedEntry } from './scoped-path.ts';

/**
 * Reads the resolved entry the protected-path check cleared (`checked`) and uploads it; refuses
 * (PathChanged) when another file is at the path by now. The caller closes the entry.
 */
export async function acquireEntry(
  env: HostEnvironment,
  context: ResponderActionContext,
  resolved: { scope: FileScope; entry: ScopedEntry; checked: FileIdentity | null },
): Promise<ResponderOutcome> {
  const { scope, entry, checked } = resolved;
  const path = entry.path;
  const bucket = optionalText(context.work.inputs, 's3.bucket');
  const subject = describeFile(path, scope);
  const stats = await lstatBig(entry.handlePath, subject);
  if (!isCheckedEntry(stats, checked)) throw hostError('PathChanged', `${subject} was replaced after it was checked against the protected paths; nothing was read, try again`);
  if (stats.isSymbolicLink()) {
    const target = await readlink(entry.handlePath);
    throw hostError('NotARegularFile', `${subject} is a symbolic link to ${target}; acquire-file reads regular files only, so acquire the path it points to`);
  }
  if (!stats.isFile()) throw hostError('NotARegularFile', `${subject} is ${kindOf(stats)}; acquire-file reads regular files only`);
  if (stats.size > BigInt(env.maxAcquireBytes)) {
    throw hostError('FileTooLarge', `${subject} is ${stats.size} bytes, over this responder's acquire limit of ${env.maxAcquireBytes} bytes`);
  }
  const handle = await openRegularFile(entry.handlePath, subject, stats);
  let content: { sha256: string; size: number; bytes: Buffer | null };
  try {
    content = await readAndHash(handle, { keep: true, limit: env.maxAcquireBytes, subject });
  } finally {
    await handle.close();
  }
  context.signal.throwIfAborted();
  const evidence = await context.uploadEvidence(fileEvidenceName(path), 'application/octet-stream', content.bytes ?? Buffer.alloc(0));
  if (evidence.sha256 !== content.sha256 || evidence.size !== content.size) {
    throw hostError('EvidenceMismatch', `the evidence stored for ${subject} has SHA-256 ${evidence.sha256} (${evidence.size} bytes), not ${content.sha256} (${content.size} bytes) as read`);
  }
  const notes: string[] = [];
  if (bucket !== undefined) {
    notes.push(
      `s3.bucket ${bucket} was not written: the host responder has no AWS credentials and uploads only through the service's presigned evidence uploads, so the file is in the service's evidence store; copying it to ${bucket} is left to the service`,
    );
  }
  return {
    result: {
      path,
      ...scopeJson(scope),
      hostPath: entry.hostPath,
      resolvedPath: entry.resolvedPath,
      sha256: content.sha256,
      size: content.size,
      ...modeOwnerTime(stats),
      evidence: { name: evidence.name, sha256: evidence.sha256, size: evidence.size },
      requestedBucket: bucket ?? null,
      notes,
    },
  };
}

export function acquireFile(env: HostEnvironment): ResponderAction {
  return {
    type: 'acquire-file',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const { inputs } = context.work;
      const path = requiredText(inputs, 'path.absolute');
      const containerId = optionalText(inputs, 'container.id');
      const resolved = await resolveFile(env, path, containerId, context.signal, 'acquire');
      try {
        return await acquireEntry(env, context, resolved);
      } finally {
        await resolved.entry.close();
      }
    },
  };
}
