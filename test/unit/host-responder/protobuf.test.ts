import { describe, expect, it } from 'vitest';
import { grpcFrame, grpcUnframe, GrpcProtocolError } from '../../../responders/host/containers/grpc-h2.ts';
import { ProtoMessage, ProtoWriter, ProtobufFormatError } from '../../../responders/host/containers/protobuf.ts';

describe('the protobuf subset for containerd', () => {
  it('encodes KillRequest{container_id, signal, all} as containerd expects it', () => {
    // Act
    const bytes = new ProtoWriter().string(1, 'web').string(2, '').uint32(3, 9).bool(4, true).finish();

    // Assess: 0a 03 "web" | (exec_id empty: left out) | 18 09 | 20 01
    expect(bytes.toString('hex')).toBe('0a03776562180920' + '01');
  });

  it('leaves out fields at their default value, as proto3 does', () => {
    // Act, Assess
    expect(new ProtoWriter().string(1, '').uint32(3, 0).bool(4, false).finish().length).toBe(0);
  });

  it('encodes multi-byte varints and lengths', () => {
    // Act
    const long = 'x'.repeat(300);
    const bytes = new ProtoWriter().uint32(3, 300).string(1, long).finish();

    // Assess: 300 = ac 02
    expect(bytes.subarray(0, 6).toString('hex')).toBe('18ac020aac02');
  });

  it('decodes a GetResponse with its Process, a Timestamp and unknown fields', () => {
    // Prepare: Process{container_id: "c1", pid: 4242, status: RUNNING, stdout: "file:///log", exited_at{seconds}, fixed64 field 15}
    const timestamp = new ProtoWriter().uint32(1, 1763860000).finish();
    const process = Buffer.concat([
      new ProtoWriter().string(1, 'c1').uint32(3, 4242).uint32(4, 2).string(6, 'file:///log').bytes(10, timestamp).finish(),
      Buffer.from([0x79, 1, 2, 3, 4, 5, 6, 7, 8]),
    ]);
    const response = new ProtoWriter().bytes(1, process).finish();

    // Act
    const decoded = new ProtoMessage(response).message(1);

    // Assess
    expect([decoded?.string(1), decoded?.uint(3), decoded?.uint(4), decoded?.string(6), decoded?.message(10)?.uint(1)]).toEqual(['c1', 4242, 2, 'file:///log', 1763860000]);
    expect(decoded?.string(7)).toBe('');
  });

  it('decodes map<string, string> labels', () => {
    // Prepare
    const entry = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value).finish();
    const container = new ProtoWriter().string(1, 'c1').bytes(2, entry('nerdctl/name', 'web')).bytes(2, entry('tier', 'front')).finish();

    // Act, Assess
    expect([...new ProtoMessage(container).stringMap(2)]).toEqual([
      ['nerdctl/name', 'web'],
      ['tier', 'front'],
    ]);
  });

  it('refuses truncated messages', () => {
    // Act, Assess
    expect(() => new ProtoMessage(Buffer.from('0a05776562', 'hex'))).toThrow(ProtobufFormatError);
  });

  it('frames and unframes gRPC messages', () => {
    // Prepare
    const message = Buffer.from('0a03776562', 'hex');

    // Act
    const frame = grpcFrame(message);

    // Assess
    expect(frame.toString('hex')).toBe('00000000050a03776562');
    expect(grpcUnframe(frame).equals(message)).toBe(true);
    expect(grpcUnframe(Buffer.alloc(0)).length).toBe(0);
    expect(() => grpcUnframe(Buffer.from('0100000000', 'hex'))).toThrow(GrpcProtocolError);
  });
});
