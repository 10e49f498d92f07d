/**
 * The socket table parser on tables copied from a real /proc (test/fixtures/procfs/SOURCES.md):
 * the ports and addresses the capturing process knew it had must come out of the hex.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAddress, parseSocketTable, socketInodeOf, socketState } from '../../../responders/host/proc-net.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/procfs/${name}`, import.meta.url), 'latin1');
const ports = JSON.parse(fixture('ports.json')) as Record<string, number>;
const port = (name: string): number => ports[name] ?? Number.NaN;
const fdInodes = fixture('fd-links')
  .trim()
  .split('\n')
  .map((line) => socketInodeOf(line.split(' ')[1] ?? ''));

describe('decodeAddress', () => {
  it.each([
    ['0100007F', '127.0.0.1'],
    ['00000000', '0.0.0.0'],
    ['0101A8C0', '192.168.1.1'],
    ['00000000000000000000000001000000', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['0000000000000000FFFF00000100007F', '::ffff:127.0.0.1'],
    ['000080FE00000000FF565002BD69B1FE', 'fe80::250:56ff:feb1:69bd'],
    ['B80D0120000000000000000001000000', '2001:db8::1'],
  ])('reads %s (little-endian words) as %s', (hex, address) => {
    // Act
    const decoded = decodeAddress(hex, true);

    // Assess
    expect(decoded).toBe(address);
  });

  it('reads the words in network order on a big-endian host', () => {
    // Act
    const v4 = decodeAddress('7F000001', false);
    const v6 = decodeAddress('20010DB8000000000000000000000001', false);

    // Assess
    expect([v4, v6]).toEqual(['127.0.0.1', '2001:db8::1']);
  });

  it.each(['', '0100007', '0100007G', '0'.repeat(16), '0'.repeat(33)])('refuses %j rather than guess', (hex) => {
    // Act
    const decoded = decodeAddress(hex, true);

    // Assess
    expect(decoded).toBeNull();
  });
});

describe('socketState', () => {
  it.each([
    ['01', 'ESTAB'],
    ['06', 'TIME-WAIT'],
    ['07', 'UNCONN'],
    ['0A', 'LISTEN'],
    ['0C', 'NEW-SYN-RECV'],
    ['0f', 'UNKNOWN-0F'],
  ])('names %s %s', (hex, name) => {
    // Act
    const state = socketState(hex);

    // Assess
    expect(state).toBe(name);
  });
});

describe('parseSocketTable on real tables', () => {
  it('finds the TCP listener, its client and the accepted socket in tcp, with the owning inodes', () => {
    // Act
    const { rows, unreadable } = parseSocketTable(fixture('net-tcp'), 'tcp', true);

    // Assess
    expect(unreadable).toBe(0);
    const listener = rows.find((row) => row.state === 'LISTEN' && row.localPort === port('tcp4Listen'));
    expect(listener).toMatchObject({ netid: 'tcp', localAddress: '127.0.0.1', remoteAddress: '0.0.0.0', remotePort: 0, uid: 0 });
    const client = rows.find((row) => row.localPort === port('tcp4Client'));
    expect(client).toMatchObject({ state: 'ESTAB', localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', remotePort: port('tcp4Listen') });
    expect(rows.filter((row) => row.state === 'TIME-WAIT').every((row) => row.inode === '0')).toBe(true);
    expect(fdInodes).toContain(listener?.inode);
    expect(fdInodes).toContain(client?.inode);
  });

  it('reads tcp6: the ::1 listener and connection, and an IPv4 client of a dual-stack listener as ::ffff:127.0.0.1', () => {
    // Act
    const { rows, unreadable } = parseSocketTable(fixture('net-tcp6'), 'tcp6', true);

    // Assess
    expect(unreadable).toBe(0);
    expect(rows.find((row) => row.localPort === port('tcp6Listen') && row.state === 'LISTEN')).toMatchObject({ localAddress: '::1', remoteAddress: '::' });
    expect(rows.find((row) => row.localPort === port('dualListen') && row.state === 'LISTEN')).toMatchObject({ localAddress: '::' });
    expect(rows.find((row) => row.remotePort === port('mappedClient'))).toMatchObject({
      state: 'ESTAB',
      localAddress: '::ffff:127.0.0.1',
      localPort: port('dualListen'),
      remoteAddress: '::ffff:127.0.0.1',
    });
    expect(rows.find((row) => row.localPort === port('tcp6Client'))).toMatchObject({ state: 'ESTAB', remoteAddress: '::1', remotePort: port('tcp6Listen') });
    expect(rows.every((row) => fdInodes.includes(row.inode))).toBe(true);
  });

  it('reads udp and udp6 (with their extra columns) as unconnected sockets', () => {
    // Act
    const udp = parseSocketTable(fixture('net-udp'), 'udp', true);
    const udp6 = parseSocketTable(fixture('net-udp6'), 'udp6', true);

    // Assess
    expect(udp.rows).toEqual([expect.objectContaining({ netid: 'udp', state: 'UNCONN', localAddress: '127.0.0.1', localPort: port('udp4') })]);
    expect(udp6.rows).toEqual([expect.objectContaining({ netid: 'udp6', state: 'UNCONN', localAddress: '::1', localPort: port('udp6') })]);
    expect([udp.unreadable, udp6.unreadable]).toEqual([0, 0]);
  });

  it('counts a mangled line instead of guessing, and keeps the good ones', () => {
    // Prepare
    const [header = '', good = ''] = fixture('net-tcp').split('\n');
    const mangled = [header, good, '   9: 0100007F:ZZZZ 00000000:0000 0A 0 0 0 0 0 1', '  10: garbage', ''].join('\n');

    // Act
    const { rows, unreadable } = parseSocketTable(mangled, 'tcp', true);

    // Assess
    expect(rows).toHaveLength(1);
    expect(unreadable).toBe(2);
  });
});

describe('socketInodeOf', () => {
  it('reads socket links and nothing else', () => {
    // Act
    const read = ['socket:[1560791]', 'pipe:[1560601]', '/dev/null', 'socket:[x]', 'socket:[1] '].map(socketInodeOf);

    // Assess
    expect(read).toEqual(['1560791', null, null, null, null]);
  });
});
