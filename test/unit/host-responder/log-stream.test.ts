import { describe, expect, it } from 'vitest';
import { LabelledLines, MultiplexedStreamDecoder, StreamFormatError, TailBuffer } from '../../../responders/host/containers/log-stream.ts';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("Docker's multiplexed log stream", () => {
  it('splits frames that arrive split anywhere, one byte at a time', () => {
    // Prepare
    const bytes = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, '')]);
    const decoder = new MultiplexedStreamDecoder();

    // Act
    const frames = [...bytes].flatMap((byte) => decoder.push(Buffer.from([byte])));

    // Assess
    expect(frames.map((item) => [item.stream, item.payload.toString()])).toEqual([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
      ['stdout', ''],
    ]);
    expect(decoder.leftover).toBe(0);
  });

  it('refuses a stream type Docker does not send', () => {
    // Act, Assess
    expect(() => new MultiplexedStreamDecoder().push(frame(7, 'x'))).toThrow(StreamFormatError);
  });

  it("labels lines with their stream, joining a line split over frames and flushing an unfinished one", () => {
    // Prepare
    const lines = new LabelledLines();

    // Act
    const text = [
      lines.push({ stream: 'stdout', payload: Buffer.from('hal') }),
      lines.push({ stream: 'stderr', payload: Buffer.from('oops\n') }),
      lines.push({ stream: 'stdout', payload: Buffer.from('f\ntail') }),
      lines.flush(),
    ].join('');

    // Assess
    expect(text).toBe('stderr oops\nstdout half\nstdout tail\n');
  });

  it('keeps the newest bytes, from the first whole line, once over the limit', () => {
    // Prepare
    const tail = new TailBuffer(13);

    // Act: the newest 13 bytes are 'o\nthree\nfour\n'
    for (const line of ['one\n', 'two\n', 'three\n', 'four\n']) tail.write(Buffer.from(line));

    // Assess
    expect([tail.toBytes().toString(), tail.truncated]).toEqual(['three\nfour\n', true]);
  });

  it('keeps a line the cut left whole', () => {
    // Prepare
    const tail = new TailBuffer(11);

    // Act: the newest 11 bytes are exactly 'three\nfour\n'
    for (const line of ['one\n', 'two\n', 'three\n', 'four\n']) tail.write(Buffer.from(line));

    // Assess
    expect([tail.toBytes().toString(), tail.truncated]).toEqual(['three\nfour\n', true]);
  });

  it('keeps everything under the limit', () => {
    // Prepare
    const tail = new TailBuffer(100);

    // Act
    tail.write(Buffer.from('partial'));

    // Assess
    expect([tail.toBytes().toString(), tail.truncated]).toEqual(['partial', false]);
  });
});
