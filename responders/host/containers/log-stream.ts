/**
 * Docker's log stream for a container without a TTY multiplexes stdout and stderr: each frame is
 * an 8-byte header (stream type: 0 stdin, 1 stdout, 2 stderr; three zero bytes; payload length,
 * big-endian uint32) and the payload. These turn it into one text, each line labelled with its
 * stream, and keep only the newest bytes when the logs outgrow the evidence size limit.
 */

export type StreamName = 'stdin' | 'stdout' | 'stderr';

export interface StreamFrame {
  readonly stream: StreamName;
  readonly payload: Buffer;
}

const streamNames: readonly StreamName[] = ['stdin', 'stdout', 'stderr'];

/** A multiplexed stream that does not follow the frame format. */
export class StreamFormatError extends Error {
  override readonly name = 'StreamFormatError';
}

/** Splits a multiplexed stream into frames as chunks arrive (frames may span chunks). */
export class MultiplexedStreamDecoder {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): StreamFrame[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: StreamFrame[] = [];
    while (this.#pending.length >= 8) {
      const type = this.#pending.readUInt8(0);
      const stream = streamNames[type];
      if (stream === undefined) throw new StreamFormatError(`log stream frame with unknown stream type ${type}`);
      const length = this.#pending.readUInt32BE(4);
      if (this.#pending.length < 8 + length) break;
      frames.push({ stream, payload: this.#pending.subarray(8, 8 + length) });
      this.#pending = this.#pending.subarray(8 + length);
    }
    return frames;
  }

  /** Bytes of an unfinished frame at the end of the stream. */
  get leftover(): number {
    return this.#pending.length;
  }
}

/** Labels each line with its stream (`stdout 2026-11-20T10:00:00.000000000Z message`). */
export class LabelledLines {
  readonly #partial = new Map<StreamName, string>();

  push(frame: StreamFrame): string {
    const text = (this.#partial.get(frame.stream) ?? '') + frame.payload.toString('utf8');
    const lines = text.split('\n');
    this.#partial.set(frame.stream, lines.pop() ?? '');
    return lines.map((line) => `${frame.stream} ${line}\n`).join('');
  }

  /** Lines that did not end with a newline before the stream ended. */
  flush(): string {
    let text = '';
    for (const [stream, partial] of this.#partial) if (partial !== '') text += `${stream} ${partial}\n`;
    this.#partial.clear();
    return text;
  }
}

/** Keeps the last `limit` bytes written, starting at a line boundary once anything was dropped. */
export class TailBuffer {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #truncated = false;
  /** The last byte dropped: a newline means the kept bytes start at a line. */
  #lastDropped = 0x0a;

  constructor(limit: number) {
    this.#limit = limit;
  }

  write(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#size += bytes.length;
    while (this.#size > this.#limit) {
      const first = this.#chunks[0];
      if (first === undefined) break;
      const excess = this.#size - this.#limit;
      this.#truncated = true;
      const dropped = Math.min(first.length, excess);
      this.#lastDropped = first.readUInt8(dropped - 1);
      if (dropped === first.length) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(dropped);
      this.#size -= dropped;
    }
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  toBytes(): Buffer {
    const all = Buffer.concat(this.#chunks);
    if (!this.#truncated || this.#lastDropped === 0x0a) return all;
    const newline = all.indexOf(0x0a);
    return newline === -1 ? all : all.subarray(newline + 1);
  }
}
