/**
 * acquire-file for real: the bytes uploaded (to a fake uploadEvidence that keeps them) are the
 * file's; devices, sockets, FIFOs, directories, links and files over the size limit are refused.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork, objectOf } from './support/context.ts';
import { plantFile, sha256, statOf, temporaryDirectory } from './support/files.ts';

let work: { path: string; remove: () => Promise<void> };
const acquire = actionOf(hostActions({ quarantineDir: '/nonexistent-quarantine', maxAcquireBytes: 1024 * 1024 }), 'acquire-file');

beforeEach(async () => {
  work = await temporaryDirectory('acquire');
});

afterEach(async () => {
  await work.remove();
});

describe('acquire-file on real files', () => {
  it('uploads the exact bytes with their SHA-256 and size, without touching the access time', async () => {
    // Prepare
    const path = join(work.path, 'evil.so');
    const content = randomBytes(300_000);
    await plantFile(path, content, { uid: 1001, gid: 1002, mode: 0o600 });
    const atimeBefore = (await statOf(path)).atimeNs;
    const context = hostWork('acquire-file', { 'path.absolute': path });

    // Act
    const outcome = await acquire.execute(context);

    // Assess
    expect(context.uploads).toHaveLength(1);
    expect(context.uploads[0]?.name).toBe('file-evil.so');
    expect(context.uploads[0]?.contentType).toBe('application/octet-stream');
    expect(context.uploads[0]?.body.equals(content)).toBe(true);
    expect(objectOf(outcome.result)).toMatchObject({
      path,
      sha256: sha256(content),
      size: 300_000,
      mode: 0o600,
      modeOctal: '0600',
      uid: 1001,
      gid: 1002,
      evidence: { name: 'file-evil.so', sha256: sha256(content), size: 300_000 },
      requestedBucket: null,
      notes: [],
    });
    expect(outcome.prior).toBeUndefined();
    expect((await statOf(path)).atimeNs).toBe(atimeBefore);
  });

  it('uploads to the evidence store and says so when s3.bucket is given', async () => {
    // Prepare
    const path = join(work.path, 'notes.txt');
    await plantFile(path, 'x');

    // Act
    const outcome = await acquire.execute(hostWork('acquire-file', { 'path.absolute': path, 's3.bucket': 'customer-forensics' }));

    // Assess
    const result = objectOf(outcome.result);
    expect(result['requestedBucket']).toBe('customer-forensics');
    expect(JSON.stringify(result['notes'])).toContain("s3.bucket customer-forensics was not written: the host responder has no AWS credentials");
  });

  it('refuses a file over the size limit', async () => {
    // Prepare
    const path = join(work.path, 'big');
    await plantFile(path, Buffer.alloc(1024 * 1024 + 1));
    const context = hostWork('acquire-file', { 'path.absolute': path });

    // Act
    const attempt = acquire.execute(context);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'FileTooLarge', message: `${path} is 1048577 bytes, over this responder's acquire limit of 1048576 bytes` });
    expect(context.uploads).toEqual([]);
  });

  it('refuses a device', async () => {
    // Act
    const attempt = acquire.execute(hostWork('acquire-file', { 'path.absolute': '/dev/null' }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'NotARegularFile', message: '/dev/null is a character device; acquire-file reads regular files only' });
  });

  describe('with a socket listening', () => {
    let server: Server;
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('refuses a socket', async () => {
      // Prepare
      const path = join(work.path, 'agent.sock');
      server = createServer();
      await new Promise<void>((resolve) => server.listen(path, resolve));

      // Act
      const attempt = acquire.execute(hostWork('acquire-file', { 'path.absolute': path }));

      // Assess
      await expect(attempt).rejects.toMatchObject({ code: 'NotARegularFile', message: `${path} is a socket; acquire-file reads regular files only` });
    });
  });

  it('refuses a FIFO without blocking on it, a directory, and a symbolic link (naming its target)', async () => {
    // Prepare
    execFileSync('mkfifo', [join(work.path, 'pipe')]);
    await mkdir(join(work.path, 'dir'));
    await plantFile(join(work.path, 'target'), 'x');
    await symlink(join(work.path, 'target'), join(work.path, 'link'));
    const attempt = (name: string) => acquire.execute(hostWork('acquire-file', { 'path.absolute': join(work.path, name) }));

    // Act, Assess
    await expect(attempt('pipe')).rejects.toMatchObject({ code: 'NotARegularFile', message: expect.stringContaining('is a FIFO') as unknown });
    await expect(attempt('dir')).rejects.toMatchObject({ code: 'NotARegularFile', message: expect.stringContaining('is a directory') as unknown });
    await expect(attempt('link')).rejects.toMatchObject({ code: 'NotARegularFile', message: expect.stringContaining(`symbolic link to ${join(work.path, 'target')}`) as unknown });
    await expect(attempt('absent')).rejects.toMatchObject({ code: 'FileNotFound' });
  });

  it('uploads an empty file', async () => {
    // Prepare
    const path = join(work.path, 'empty');
    await plantFile(path, '');

    // Act
    const outcome = await acquire.execute(hostWork('acquire-file', { 'path.absolute': path }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ size: 0, sha256: sha256('') });
  });
});
