import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { endianness } from 'node:os';

/** The kernel's table of this network namespace's IPv4 TCP sockets, each with the uid that made it. */
export const ipv4SocketTable = '/proc/net/tcp';

/**
 * The user id that made the other end of a TCP connection to this machine's loopback address: the
 * client's own socket is a line of {@link ipv4SocketTable} (its address and port, then the server's),
 * and that line carries its owner's uid, as identd reads it. Undefined when it cannot be told: not
 * an IPv4 connection, no such table (not Linux), or no such line (the client has gone). Written by
 * hand: no kept library reads this table, and Node's sockets do not tell the peer's credentials.
 */
export async function loopbackPeerUid(socket: Pick<Socket, 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort'>, table = ipv4SocketTable): Promise<number | undefined> {
  const client = tableAddress(socket.remoteAddress, socket.remotePort);
  const server = tableAddress(socket.localAddress, socket.localPort);
  if (client === undefined || server === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(table, 'utf8');
  } catch {
    return undefined;
  }
  // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === client && fields[2] === server) {
      const uid = Number(fields[7]);
      return fields[7] !== undefined && /^\d+$/.test(fields[7]) && Number.isSafeInteger(uid) ? uid : undefined;
    }
  }
  return undefined;
}

/**
 * An IPv4 address and port as the table writes them: the address as the kernel's 32-bit word
 * printed in hex (so in this machine's byte order), a colon, the port in hex; upper case.
 */
export function tableAddress(address: string | undefined, port: number | undefined): string | undefined {
  if (address === undefined || port === undefined || !Number.isInteger(port) || port < 0 || port > 0xffff) return undefined;
  const octets = address.split('.');
  if (octets.length !== 4 || !octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)) return undefined;
  const bytes = endianness() === 'LE' ? octets.reverse() : octets;
  const hex = (value: number, width: number): string => value.toString(16).toUpperCase().padStart(width, '0');
  return `${bytes.map((octet) => hex(Number(octet), 2)).join('')}:${hex(port, 4)}`;
}
