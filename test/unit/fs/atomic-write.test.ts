import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileAtomically, removeInterruptedWrites, writeFileAtomically } from '#shared/fs/atomic-write.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stream that stops after its first chunk until `release` is called, so a test can look mid-write. */
function pausedStream(first: string, rest: string): { chunks: AsyncIterable<string>; midway: Promise<void>; release: () => void } {
  let release!: () => void;
  let reachedMidway!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const midway = new Promise<void>((resolve) => (reachedMidway = resolve));
  async function* chunks(): AsyncGenerator<string> {
    yield first;
    reachedMidway();
    await released;
    yield rest;
  }
  return { chunks: chunks(), midway, release };
}

async function* failingStream(): AsyncGenerator<string> {
  yield 'half of it';
  await Promise.reject(new Error('the source broke off'));
}

describe('writeFileAtomically', () => {
  it('writes the contents with mode 0600 unless told otherwise, exactly whatever the umask', async () => {
    // Prepare
    const privateFile = join(dir, 'private');
    const sharedFile = join(dir, 'shared');

    // Act
    await writeFileAtomically(privateFile, 'secret');
    await writeFileAtomically(sharedFile, new Uint8Array([1, 2, 3]), { mode: 0o644 });

    // Assess
    expect(await readFile(privateFile, 'utf8')).toBe('secret');
    expect((await stat(privateFile)).mode & 0o777).toBe(0o600);
    expect([...(await readFile(sharedFile))]).toEqual([1, 2, 3]);
    expect((await stat(sharedFile)).mode & 0o777).toBe(0o644);
  });

  it('mid-write, the final name still holds the old file and the new bytes are only in a temporary', async () => {
    // Prepare
    const file = join(dir, 'entry.json');
    await writeFile(file, 'old');
    const stream = pausedStream('new, first half;', ' second half');

    // Act
    const writing = writeFileAtomically(file, stream.chunks);
    await stream.midway;
    const duringName = await readFile(file, 'utf8');
    const duringEntries = await readdir(dir);
    stream.release();
    await writing;

    // Assess
    expect(duringName).toBe('old');
    expect(duringEntries.filter((name) => name.startsWith('.tmp-'))).toHaveLength(1);
    expect(await readFile(file, 'utf8')).toBe('new, first half; second half');
    expect(await readdir(dir)).toEqual(['entry.json']);
  });

  it('a source that fails leaves the old file as it was and no temporary behind', async () => {
    // Prepare
    const file = join(dir, 'entry.json');
    await writeFile(file, 'old');

    // Act
    const writing = writeFileAtomically(file, failingStream());

    // Assess
    await expect(writing).rejects.toThrow('the source broke off');
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['entry.json']);
  });
});

describe('createFileAtomically', () => {
  it('refuses to replace an existing file: false, the file unchanged, no temporary left', async () => {
    // Prepare
    const file = join(dir, 'key.json');
    await writeFile(file, 'first');

    // Act
    const created = await createFileAtomically(file, 'second');

    // Assess
    expect(created).toBe(false);
    expect(await readFile(file, 'utf8')).toBe('first');
    expect(await readdir(dir)).toEqual(['key.json']);
  });

  it('of writers racing for one name, exactly one wins and its contents are whole', async () => {
    // Prepare
    const file = join(dir, 'key.json');
    const contents = ['a'.repeat(100_000), 'b'.repeat(100_000), 'c'.repeat(100_000)];

    // Act
    const results = await Promise.all(contents.map((text) => createFileAtomically(file, text)));

    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await readFile(file, 'utf8')).toBe(contents[results.indexOf(true)]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['key.json']);
  });

  it('a source that fails creates nothing', async () => {
    // Prepare
    const file = join(dir, 'object');

    // Act
    const creating = createFileAtomically(file, failingStream());

    // Assess
    await expect(creating).rejects.toThrow('the source broke off');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('removeInterruptedWrites', () => {
  it('removes the temporaries a crash left and nothing else; a missing directory is no error', async () => {
    // Prepare
    await writeFile(join(dir, '.tmp-1b2c'), 'half');
    await writeFile(join(dir, 'kept.json'), '{}');

    // Act
    await removeInterruptedWrites(dir);
    await removeInterruptedWrites(join(dir, 'missing'));

    // Assess
    expect(await readdir(dir)).toEqual(['kept.json']);
  });
});
