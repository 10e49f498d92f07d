/** Why a runtime's unix socket could not be reached, in words that name the fix. */
import { readFile, stat } from 'node:fs/promises';
import { errnoOf, hostError } from '../errors.ts';
import { RuntimeUnavailableError } from './runtime.ts';
import type { RuntimeKind } from './runtime.ts';

/** The name of group `gid` from /etc/group, or null. */
export async function groupName(gid: number, groupFile = '/etc/group'): Promise<string | null> {
  try {
    const text = await readFile(groupFile, 'utf8');
    for (const line of text.split('\n')) {
      const [name, , id] = line.split(':');
      if (name !== undefined && id !== undefined && Number(id) === gid) return name;
    }
  } catch {
    // No /etc/group (a minimal image): the gid alone will have to do.
  }
  return null;
}

/**
 * Maps a connection failure on a runtime's socket: permission denied names the socket, its
 * owner group and the fix; a socket nobody listens on makes the runtime unavailable.
 */
export async function socketError(kind: RuntimeKind, socketPath: string, error: unknown): Promise<Error> {
  const code = errnoOf(error);
  if (code === 'EACCES' || code === 'EPERM') {
    let owner = 'the group that owns it';
    try {
      const facts = await stat(socketPath);
      const name = await groupName(facts.gid);
      owner = name === null ? `group ${facts.gid}` : `group ${name} (gid ${facts.gid})`;
    } catch {
      // The socket's directory is closed to us too; say what we can.
    }
    const label = kind === 'docker' ? 'Docker' : 'containerd';
    return hostError(
      'PermissionDenied',
      `cannot connect to the ${label} socket ${socketPath}: permission denied; run the responder as root or add its user to ${owner}, which owns the socket`,
      error,
    );
  }
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTSOCK') {
    return new RuntimeUnavailableError(`${kind} is not answering on ${socketPath} (${code})`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
