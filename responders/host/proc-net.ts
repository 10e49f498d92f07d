/**
 * The kernel's socket tables as `ss` reads them: /proc/<pid>/net/{tcp,tcp6,udp,udp6}, one line
 * per socket of that process's network namespace, addresses and ports in hex.
 */
import { endianness } from 'node:os';
import { SocketAddress } from 'node:net';

export const socketTables = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
export type SocketTable = (typeof socketTables)[number];

/** include/net/tcp_states.h, named as `ss` names them. UDP uses ESTABLISHED (connected) and CLOSE (unconnected). */
const tcpStates: Readonly<Record<number, string>> = {
  0x01: 'ESTAB',
  0x02: 'SYN-SENT',
  0x03: 'SYN-RECV',
  0x04: 'FIN-WAIT-1',
  0x05: 'FIN-WAIT-2',
  0x06: 'TIME-WAIT',
  0x07: 'UNCONN',
  0x08: 'CLOSE-WAIT',
  0x09: 'LAST-ACK',
  0x0a: 'LISTEN',
  0x0b: 'CLOSING',
  0x0c: 'NEW-SYN-RECV',
};

/** The state word of a hex state field; an unknown code stays visible as `UNKNOWN-<hex>`. */
export function socketState(hex: string): string {
  return tcpStates[Number.parseInt(hex, 16)] ?? `UNKNOWN-${hex.toUpperCase()}`;
}

/** An address field's bytes in network order: the kernel prints each 32-bit word in host byte order. */
function addressBytes(hex: string, littleEndian: boolean): Buffer {
  const raw = Buffer.from(hex, 'hex');
  if (!littleEndian) return raw;
  for (let word = 0; word < raw.length; word += 4) raw.subarray(word, word + 4).reverse();
  return raw;
}

/**
 * `0100007F` → `127.0.0.1`; a 32-digit IPv6 field → its RFC 5952 text (`::1`, `::ffff:127.0.0.1`).
 * Null for anything else, so a malformed line is counted, never guessed at.
 */
export function decodeAddress(hex: string, littleEndian = endianness() === 'LE'): string | null {
  if (!/^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32})$/.test(hex)) return null;
  const bytes = addressBytes(hex, littleEndian);
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(bytes.readUInt16BE(index).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** One socket as the table lists it. */
export interface SocketRow {
  readonly netid: SocketTable;
  readonly state: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly uid: number;
  /** The socket inode that /proc/<pid>/fd links name (`socket:[inode]`); 0 for a socket no file holds (TIME-WAIT). */
  readonly inode: string;
}

function endpoint(field: string | undefined, littleEndian: boolean): { address: string; port: number } | null {
  const [hex, portHex, extra] = (field ?? '').split(':');
  if (hex === undefined || portHex === undefined || extra !== undefined || !/^[0-9A-Fa-f]{4}$/.test(portHex)) return null;
  const address = decodeAddress(hex, littleEndian);
  return address === null ? null : { address, port: Number.parseInt(portHex, 16) };
}

/**
 * The rows of one table's text, and how many lines could not be read (kept as a count: a table
 * this code misreads must show, not vanish).
 */
export function parseSocketTable(text: string, netid: SocketTable, littleEndian = endianness() === 'LE'): { rows: SocketRow[]; unreadable: number } {
  const rows: SocketRow[] = [];
  let unreadable = 0;
  for (const line of text.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    // sl, local, remote, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode, ...
    const fields = line.trim().split(/\s+/);
    const local = endpoint(fields[1], littleEndian);
    const remote = endpoint(fields[2], littleEndian);
    const state = fields[3] ?? '';
    const uid = fields[7] ?? '';
    const inode = fields[9] ?? '';
    if (local === null || remote === null || !/^[0-9A-Fa-f]{2}$/.test(state) || !/^\d{1,10}$/.test(uid) || !/^\d{1,20}$/.test(inode)) {
      unreadable += 1;
      continue;
    }
    rows.push({
      netid,
      state: socketState(state),
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      uid: Number(uid),
      inode,
    });
  }
  return { rows, unreadable };
}

/** The socket inode an fd link names (`socket:[12345]`), or null for any other file. */
export function socketInodeOf(link: string): string | null {
  return /^socket:\[(\d{1,20})\]$/.exec(link)?.[1] ?? null;
}
