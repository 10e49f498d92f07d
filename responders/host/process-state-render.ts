/**
 * capture-process-state's evidence bodies: a JSON document per listing, and a `ps`/`ss`-like
 * text a person reads in a terminal, each held to a byte limit by leaving whole entries out.
 */
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { ProcessEntry } from './proc-listing.ts';
import type { SocketEntry } from './proc-sockets.ts';

/** Room kept for the header's counts, which are written after the entries that fit are known. */
const headerSlack = 256;

/**
 * `{ ...header, listedInObject, truncatedInObject, [listKey]: [entries...] }` in at most
 * `maxBytes`, keeping the first entries that fit; `listed` says how many.
 */
export function boundedJson(header: JsonObject, listKey: string, entries: readonly JsonValue[], maxBytes: number): { body: Buffer; listed: number } {
  const headerBytes = Buffer.byteLength(JSON.stringify({ ...header, [listKey]: [] })) + headerSlack;
  const parts: string[] = [];
  let bytes = headerBytes;
  for (const entry of entries) {
    const text = JSON.stringify(entry);
    const size = Buffer.byteLength(text) + 1;
    if (bytes + size > maxBytes) break;
    parts.push(text);
    bytes += size;
  }
  const full = { ...header, listedInObject: parts.length, leftOutOfObject: entries.length - parts.length, [listKey]: [] };
  const head = JSON.stringify(full);
  // The list is the last key, so its `[]` closes the text: the entries go in between.
  return { body: Buffer.from(`${head.slice(0, -2)}${parts.join(',')}]}`), listed: parts.length };
}

/**
 * Control characters (C0, DEL, C1), line and paragraph separators, bidirectional overrides and
 * every other invisible format character (zero-width spaces and joiners, directional marks, tag
 * characters: Unicode's Cf) escaped: a process names itself, and its name must not rewrite the
 * reader's terminal, reorder what they see, or pass for another name (`ss\u200bhd` for `sshd`).
 */
export function terminalSafe(text: string): string {
  return text.replace(/./gsu, (character) => {
    const code = character.codePointAt(0) ?? 0;
    if (!escapedInText(code, character)) return character;
    if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
    return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

const formatCharacter = /^\p{Cf}$/u;

function escapedInText(code: number, character: string): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 || formatCharacter.test(character);
}

/** Whole lines up to `maxBytes`, then one line saying how many were left out. */
export function boundedText(lines: readonly string[], maxBytes: number): Buffer {
  const kept: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    const size = Buffer.byteLength(line) + 1;
    if (bytes + size > maxBytes - headerSlack) break;
    kept.push(line);
    bytes += size;
  }
  if (kept.length < lines.length) kept.push(`... ${lines.length - kept.length} more lines left out (over ${maxBytes} bytes)`);
  return Buffer.from(`${kept.join('\n')}\n`);
}

const pad = (text: string | number, width: number): string => String(text).padEnd(width);

/** `ps -eo pid,ppid,user,stat,lstart,args`-like lines (start time in RFC 3339, UTC). */
export function processLines(title: string, processes: readonly ProcessEntry[]): string[] {
  return [
    terminalSafe(title),
    `${pad('PID', 8)}${pad('PPID', 8)}${pad('USER', 12)}${pad('STAT', 5)}${pad('STARTED', 26)}COMMAND`,
    ...processes.map((entry) => {
      const user = entry.user ?? (entry.uid === null ? '?' : String(entry.uid));
      const command = entry.argv.length > 0 ? entry.argv.join(' ') : `[${entry.comm}]`;
      const suffix = entry.commandLineTruncated ? ' ...(cut)' : '';
      return terminalSafe(`${pad(entry.pid, 8)}${pad(entry.ppid, 8)}${pad(user, 12)}${pad(entry.state, 5)}${pad(entry.startTime, 26)}${command}${suffix}`);
    }),
  ];
}

const hostPort = (address: string, port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/** `ss -tuanp`-like lines: the owning processes as `users:(("comm",pid=N),...)`. */
export function socketLines(title: string, sockets: readonly SocketEntry[], comms: ReadonlyMap<number, string>): string[] {
  return [
    terminalSafe(title),
    `${pad('Netid', 6)}${pad('State', 13)}${pad('Local Address:Port', 48)}${pad('Peer Address:Port', 48)}${pad('Inode', 12)}Process`,
    ...sockets.map((socket) => {
      const users = socket.pids.length === 0 ? '' : `users:(${socket.pids.map((pid) => `("${comms.get(pid) ?? '?'}",pid=${pid})`).join(',')})`;
      return terminalSafe(
        `${pad(socket.netid, 6)}${pad(socket.state, 13)}${pad(hostPort(socket.localAddress, socket.localPort), 48)}${pad(hostPort(socket.remoteAddress, socket.remotePort), 48)}${pad(socket.inode, 12)}${users}`,
      );
    }),
  ];
}
