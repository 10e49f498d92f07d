import { spawnSync } from 'node:child_process';

/** One cfn-lint match, as its JSON output reports it. */
export interface CfnLintMatch {
  readonly Filename: string;
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
}

/** Fails with the install hint when cfn-lint is not on PATH: a missing linter must never pass. */
export function assertCfnLintAvailable(): void {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error('cfn-lint is needed: pip install cfn-lint', { cause: probe.error });
  }
}

/**
 * Runs cfn-lint over templates and returns every match. cfn-lint's exit code is a bit set
 * (2 errors, 4 warnings, 8 informational); anything else (1: it could not run) throws.
 */
export function runCfnLint(templatePaths: readonly string[]): CfnLintMatch[] {
  const result = spawnSync('cfn-lint', ['--format', 'json', '--', ...templatePaths], { encoding: 'utf8' });
  if (result.error !== undefined) throw new Error('cfn-lint is needed: pip install cfn-lint', { cause: result.error });
  const status = result.status ?? 1;
  if ((status & 1) !== 0) throw new Error(`cfn-lint could not lint the templates (exit ${status}): ${result.stderr}`);
  return result.stdout.trim() === '' ? [] : (JSON.parse(result.stdout) as CfnLintMatch[]);
}

/** Matches as one line each, for assertion messages. */
export function describeCfnLintMatches(matches: readonly CfnLintMatch[]): string {
  return matches
    .map((match) => `${match.Level} ${match.Rule.Id} ${match.Filename} ${match.Location.Path.join('/')}: ${match.Message}`)
    .join('\n');
}
