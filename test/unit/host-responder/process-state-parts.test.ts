/**
 * capture-process-state's small parts: reading a process's /proc files (real ones copied from
 * this machine, test/fixtures/procfs/SOURCES.md) and holding the evidence bodies to their limits
 * with nothing in them that could rewrite a reader's terminal.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { argvOf, parsePasswd, parseStatusIds, printable } from '../../../responders/host/proc-listing.ts';
import { boundedJson, boundedText, processLines, terminalSafe } from '../../../responders/host/process-state-render.ts';
import type { ProcessEntry } from '../../../responders/host/proc-listing.ts';
import { parseProcStat } from '../../../responders/host/procfs.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/procfs/${name}`, import.meta.url));

describe("a real process's /proc files", () => {
  it('reads argv, keeping bytes that are not UTF-8 visible as \\xNN', () => {
    // Act
    const argv = argvOf(fixture('sh-cmdline'));

    // Assess
    expect(argv).toEqual(['sh', '-c', 'sleep 300; :', '\\xff\\xfe']);
  });

  it('reads the real and effective uid and the threads from status', () => {
    // Act
    const ids = parseStatusIds(fixture('sh-status').toString('utf8'));

    // Assess
    expect(ids).toEqual({ uid: 0, euid: 0, threads: 1 });
  });

  it('reads the stat line of the same process', () => {
    // Act
    const stat = parseProcStat(fixture('sh-stat').toString('latin1'));

    // Assess
    expect(stat).toMatchObject({ comm: 'sh', state: 'S' });
    expect(stat.startTicks).toBeGreaterThan(0);
  });
});

describe('printable and argvOf', () => {
  it('keeps valid UTF-8 as it is, and escapes a backslash only when the bytes are not UTF-8', () => {
    // Act
    const valid = printable(Buffer.from('café \\ ok'));
    const invalid = printable(Buffer.from([0x61, 0x5c, 0xc3, 0x28]));

    // Assess
    expect(valid).toBe('café \\ ok');
    expect(invalid).toBe('a\\x5c\\xc3(');
  });

  it('reads an empty command line (a kernel thread, a zombie) as no argv, and keeps empty arguments', () => {
    // Act
    const none = argvOf(Buffer.alloc(0));
    const empties = argvOf(Buffer.from('a\0\0b\0'));
    const unterminated = argvOf(Buffer.from('rewritten by the process itself'));

    // Assess
    expect(none).toEqual([]);
    expect(empties).toEqual(['a', '', 'b']);
    expect(unterminated).toEqual(['rewritten by the process itself']);
  });

  it('reads uid names from passwd, the first of a repeated uid and nothing from broken lines', () => {
    // Act
    const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/:/bin/sh\nbroken\n:x:5:5::/:\nnobody:x:65534:65534::/:/usr/sbin/nologin\nbad:x:-1:0::/:\n');

    // Assess
    expect([...users]).toEqual([
      [0, 'root'],
      [65534, 'nobody'],
    ]);
  });
});

const entry = (pid: number, argv: readonly string[], comm = 'sleep'): ProcessEntry => ({
  pid,
  ppid: 1,
  uid: 0,
  euid: 0,
  user: 'root',
  state: 'S',
  comm,
  startTime: '2026-12-05T16:00:00.000Z',
  startTicks: 100,
  threads: 1,
  argv,
  commandLineTruncated: false,
  exe: '/usr/bin/sleep',
  cwd: '/',
  cgroups: ['/'],
  containerIds: [],
  netns: '4026531833',
  unreadable: [],
});

describe('the evidence bodies', () => {
  it('escape terminal control sequences, line separators and bidirectional overrides in the text', () => {
    // Act
    const safe = terminalSafe('evil\u001b[2J\rname\u0085\u2028\u202e\u2066 ok é');

    // Assess
    expect(safe).toBe('evil\\x1b[2J\\x0dname\\x85\\u2028\\u202e\\u2066 ok é');
    const rendered = processLines('# t', [entry(7, ['sh', '-c', 'printf "\u001b]0;pwned\u0007"'])]).join('');
    expect(rendered.match(/./gsu)?.filter((character) => character < ' ')).toEqual([]);
    expect(rendered).toContain('\\x1b]0;pwned\\x07');
  });

  it('escape invisible format characters, so a name cannot pass for another or reorder its line', () => {
    // Act
    const safe = terminalSafe('ss\u200bhd \u200f-x \u2060\ufeff\u061c \u{e0041}\u00ad ok é');

    // Assess
    expect(safe).toBe('ss\\u200bhd \\u200f-x \\u2060\\ufeff\\u061c \\u{e0041}\\xad ok é');
  });

  it('keep the JSON object within its byte limit by leaving whole entries out, and say how many', () => {
    // Prepare
    const entries = Array.from({ length: 50 }, (_, index) => ({ pid: index + 1, argv: ['x'.repeat(100)] }));

    // Act
    const { body, listed } = boundedJson({ capturedAt: '2026-12-05T16:00:00.000Z' }, 'processes', entries, 2000);
    const parsed = JSON.parse(body.toString('utf8')) as { processes: { pid: number }[]; listedInObject: number; leftOutOfObject: number };

    // Assess
    expect(body.length).toBeLessThanOrEqual(2000);
    expect(listed).toBeGreaterThan(5);
    expect(listed).toBeLessThan(50);
    expect(parsed.processes.map((process) => process.pid)).toEqual(entries.slice(0, listed).map((process) => process.pid));
    expect([parsed.listedInObject, parsed.leftOutOfObject]).toEqual([listed, 50 - listed]);
  });

  it('keep the text within its byte limit, ending with how many lines were left out', () => {
    // Prepare
    const lines = Array.from({ length: 100 }, (_, index) => `line ${index} ${'y'.repeat(40)}`);

    // Act
    const body = boundedText(lines, 1500).toString('utf8');

    // Assess
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1500);
    expect(body).toMatch(/\n\.\.\. \d+ more lines left out \(over 1500 bytes\)\n$/);
    expect(body.startsWith('line 0 ')).toBe(true);
  });
});
