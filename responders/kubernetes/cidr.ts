/**
 * The network exception's CIDR in canonical form. The catalogue accepts host bits
 * (10.1.2.3/8 means 10.0.0.0/8); NetworkPolicy, Calico and Cilium disagree on whether they
 * accept them, so the responder always writes the network address.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  /** Canonical: network address, host bits cleared; IPv6 in RFC 5952 short form. */
  readonly text: string;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function ipv6ToBigInt(address: string): bigint {
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const expand = (parts: readonly string[]): string[] =>
    parts.flatMap((group) => {
      if (!group.includes('.')) return [group];
      // An embedded IPv4 tail (::ffff:10.0.0.1) is two 16-bit groups.
      const value = ipv4ToBigInt(group);
      return [(value >> 16n).toString(16), (value & 0xffffn).toString(16)];
    });
  const left = expand(groups(head));
  const right = tail === undefined ? [] : expand(groups(tail));
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

function bigIntToIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, index) => Number((value >> BigInt((7 - index) * 16)) & 0xffffn));
  // RFC 5952: the longest run (first on ties) of two or more zero groups becomes '::'.
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end += 1;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Parses a CIDR the catalogue accepted; throws on anything else (a defect upstream). */
export function canonicalCidr(cidr: string): Cidr {
  const [address = '', prefixText = ''] = cidr.split('/');
  const prefix = Number(prefixText);
  if (isIPv4(address) && prefix >= 0 && prefix <= 32) {
    const mask = prefix === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n);
    return { family: 4, text: `${bigIntToIpv4(ipv4ToBigInt(address) & mask)}/${prefix}` };
  }
  if (isIPv6(address) && prefix >= 0 && prefix <= 128) {
    const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
    return { family: 6, text: `${bigIntToIpv6(ipv6ToBigInt(address.toLowerCase()) & mask)}/${prefix}` };
  }
  throw new TypeError(`network.cidr ${cidr} was never validated: expected an IPv4 or IPv6 CIDR`);
}
