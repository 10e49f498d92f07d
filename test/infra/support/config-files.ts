import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, vi } from 'vitest';
import { makeTempDir } from './synth.ts';

/**
 * For a describe block that synthesizes with operator files (rules, playbooks): a temporary
 * directory removed after the block, `file` writing one file into it, and the stubbed environment
 * (stubOutAwsEnvironment) restored after each test.
 */
export function useConfigFileDir(prefix: string): { readonly path: string; readonly file: (name: string, content: string) => string } {
  const dir = makeTempDir(prefix);
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(() => {
    dir.remove();
  });
  return {
    path: dir.path,
    file: (name, content) => {
      const path = join(dir.path, name);
      writeFileSync(path, content);
      return path;
    },
  };
}
