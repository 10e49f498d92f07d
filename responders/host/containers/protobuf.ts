/**
 * Just enough protocol buffers for the few containerd messages host actions send and read:
 * strings, unsigned varints, bools and embedded messages. Fields are written in the order they
 * are added and, as proto3 does, fields holding their default value are left out.
 */

const wireVarint = 0;
const wire64 = 1;
const wireLengthDelimited = 2;
const wire32 = 5;

/** Protobuf bytes this decoder cannot read. */
export class ProtobufFormatError extends Error {
  override readonly name = 'ProtobufFormatError';
}

function varint(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Buffer.from(bytes);
}

/** Builds one message. */
export class ProtoWriter {
  readonly #parts: Buffer[] = [];

  #tag(field: number, wire: number): void {
    this.#parts.push(varint(BigInt((field << 3) | wire)));
  }

  string(field: number, value: string): this {
    if (value === '') return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  uint32(field: number, value: number): this {
    if (value === 0) return this;
    this.#tag(field, wireVarint);
    this.#parts.push(varint(BigInt(value >>> 0)));
    return this;
  }

  bool(field: number, value: boolean): this {
    if (!value) return this;
    this.#tag(field, wireVarint);
    this.#parts.push(varint(1n));
    return this;
  }

  /** Length-delimited bytes: raw bytes or an embedded message's encoding. */
  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, wireLengthDelimited);
    this.#parts.push(varint(BigInt(value.length)), Buffer.from(value));
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

type ProtoValue = { readonly wire: 0; readonly value: bigint } | { readonly wire: 1 | 2 | 5; readonly value: Buffer };

/** A decoded message: its fields by number, read with the accessor that fits the field's type. */
export class ProtoMessage {
  readonly #fields = new Map<number, ProtoValue[]>();

  constructor(bytes: Uint8Array) {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    const readVarint = (): bigint => {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        if (offset >= buffer.length || shift > 63n) throw new ProtobufFormatError('truncated or overlong varint');
        const byte = buffer.readUInt8(offset++);
        result |= BigInt(byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) return result;
        shift += 7n;
      }
    };
    const take = (length: number): Buffer => {
      if (offset + length > buffer.length) throw new ProtobufFormatError('field runs past the end of the message');
      const value = buffer.subarray(offset, offset + length);
      offset += length;
      return value;
    };
    while (offset < buffer.length) {
      const key = readVarint();
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      let value: ProtoValue;
      if (wire === wireVarint) value = { wire, value: readVarint() };
      else if (wire === wire64) value = { wire, value: take(8) };
      else if (wire === wireLengthDelimited) value = { wire, value: take(Number(readVarint())) };
      else if (wire === wire32) value = { wire, value: take(4) };
      else throw new ProtobufFormatError(`unsupported wire type ${wire} in field ${field}`);
      const list = this.#fields.get(field) ?? [];
      list.push(value);
      this.#fields.set(field, list);
    }
  }

  #last(field: number): ProtoValue | undefined {
    return this.#fields.get(field)?.at(-1);
  }

  string(field: number): string {
    const value = this.#last(field);
    return value !== undefined && value.wire === wireLengthDelimited ? value.value.toString('utf8') : '';
  }

  uint(field: number): number {
    const value = this.#last(field);
    return value !== undefined && value.wire === wireVarint ? Number(value.value) : 0;
  }

  bool(field: number): boolean {
    return this.uint(field) !== 0;
  }

  message(field: number): ProtoMessage | null {
    const value = this.#last(field);
    return value !== undefined && value.wire === wireLengthDelimited ? new ProtoMessage(value.value) : null;
  }

  messages(field: number): ProtoMessage[] {
    return (this.#fields.get(field) ?? []).flatMap((value) => (value.wire === wireLengthDelimited ? [new ProtoMessage(value.value)] : []));
  }

  /** A `map<string, string>` field (repeated entries with key 1 and value 2). */
  stringMap(field: number): Map<string, string> {
    return new Map(this.messages(field).map((entry) => [entry.string(1), entry.string(2)]));
  }
}
