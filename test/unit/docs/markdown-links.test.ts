/**
 * The repository's markdown links work in a clone: every relative link and image in a tracked
 * markdown file names a tracked file (or a directory holding some) inside the repository.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativeLinks } from '#test/support/markdown-links.ts';

const root = new URL('../../../', import.meta.url).pathname;

function tracked(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter((path) => path !== '');
  } catch (error) {
    throw new Error(`this test lists the repository's files with git ls-files, which failed: install git and run it in a clone (${String(error)})`);
  }
}

describe('relativeLinks', () => {
  it('finds inline links, images, reference definitions and HTML src/href; not code, not URLs, not anchors', () => {
    const text = [
      'See [the guide](docs/guide.md#start "Guide") and ![shot](docs/a%20b.png).',
      '[ref]: ../outside.md',
      '<img src="docs/c.png"> <a href="https://example.com">x</a> [mail](mailto:a@b) [here](#here)',
      'Inline `[not](code.md)` stays out.',
      '```',
      '[nor](fenced.md)',
      '```',
      '[angle](<docs/with space.md>)',
    ].join('\n');
    expect(relativeLinks(text).map((link) => link.target)).toEqual([
      'docs/guide.md',
      'docs/a b.png',
      '../outside.md',
      'docs/c.png',
      'docs/with space.md',
    ]);
  });
});

describe("the repository's markdown links", () => {
  it('every relative link in a tracked markdown file resolves to a tracked path inside the repository', () => {
    const files = tracked();
    const paths = new Set(files);
    const directories = new Set(files.flatMap((file) => file.split('/').slice(0, -1).map((_, index, parts) => parts.slice(0, index + 1).join('/'))));
    const broken: string[] = [];
    for (const file of files.filter((path) => path.toLowerCase().endsWith('.md'))) {
      for (const link of relativeLinks(readFileSync(join(root, file), 'utf8'))) {
        const resolved = normalize(join(dirname(file), link.target)).split(sep).join('/').replace(/\/$/, '');
        const inside = resolved !== '..' && !resolved.startsWith('../') && !relative(root, join(root, resolved)).startsWith('..');
        if (!inside) broken.push(`${file}:${String(link.line)}: ${link.target} points outside the repository`);
        else if (!paths.has(resolved) && !directories.has(resolved) && resolved !== '.') {
          broken.push(`${file}:${String(link.line)}: ${link.target} is not a file in the repository`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
