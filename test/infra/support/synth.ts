import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { vi } from 'vitest';

/** The repository root: cdk.json, package.json and the CLI's working directory. */
export const projectRoot = join(import.meta.dirname, '..', '..', '..');

/** The `context` block of cdk.json, which the CLI would hand to the app. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8'));
  if (typeof cdkJson !== 'object' || cdkJson === null || !('context' in cdkJson)) {
    throw new Error('cdk.json has no "context" block');
  }
  return cdkJson.context as Record<string, unknown>;
}

/**
 * cdk.json's context for in-process synthesis, with asset bundling switched off
 * (`aws:cdk:bundling-stacks: []`): templates are the same but for asset hashes, and a bundled
 * synth costs about 2 s per function. The CLI test and the bundle tests bundle for real.
 */
export function testContext(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  // CONSOLE_DIST (as the browser harness reads it): a console built elsewhere than console/dist, for parallel runs.
  const consoleDist = process.env.CONSOLE_DIST;
  return { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...(consoleDist === undefined || consoleDist === '' ? {} : { consoleDir: consoleDist }), ...overrides };
}

/** A fresh temp directory for a cloud assembly, with its own clean-up. */
export function makeTempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `response-actions-${prefix}-`));
  return { path, remove: () => { rmSync(path, { recursive: true, force: true }); } };
}

/**
 * Whether an environment variable could give synthesis an account, a region or credentials, or
 * change the deployment settings (`RESPONSE_ACTIONS_*`, keyed in infra/config-keys.ts).
 */
function isAwsVariable(name: string): boolean {
  return name.startsWith('AWS_') || name.startsWith('AMAZON_') || name.startsWith('CDK_DEFAULT_') || name.startsWith('RESPONSE_ACTIONS_');
}

/**
 * Removes every AWS credential, profile and region variable (and every deployment setting) from
 * this process until `vi.unstubAllEnvs()`, so an in-process synth proves the stacks need none
 * and sees only the context the test gives it.
 */
export function stubOutAwsEnvironment(): void {
  for (const name of Object.keys(process.env).filter(isAwsVariable)) vi.stubEnv(name, undefined);
}

/**
 * The environment for a child CDK CLI: no AWS variables, shared config files pointing nowhere
 * and instance metadata disabled, so nothing can find an account, a region or credentials.
 */
export function environmentWithoutAws(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !isAwsVariable(name)));
  const nowhere = join(tmpdir(), 'response-actions-no-aws-config');
  return {
    ...env,
    AWS_CONFIG_FILE: nowhere,
    AWS_SHARED_CREDENTIALS_FILE: nowhere,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
  };
}

/** One unacknowledged finding of a validation plugin (cdk-nag pack, CloudFormation rules, annotations). */
export interface ValidationFinding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  readonly constructPaths: readonly string[];
}

/** An acknowledged finding as the validation report records it: who acknowledged it and why. */
export interface AcknowledgedFinding extends ValidationFinding {
  readonly acknowledgedId: string;
  readonly reason: string;
  readonly acknowledgedAt: string;
}

interface ReportViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity: string;
  readonly violatingConstructs?: readonly { readonly constructPath?: string }[];
  readonly acknowledgedId?: string;
  readonly reason?: string;
  readonly acknowledgedAt?: string;
}

interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly ReportViolation[];
    readonly suppressedViolations?: readonly ReportViolation[];
  }[];
}

function toFinding(plugin: string, violation: ReportViolation): ValidationFinding {
  return {
    plugin,
    rule: violation.ruleName,
    severity: violation.severity,
    description: violation.description,
    constructPaths: (violation.violatingConstructs ?? []).map((construct) => construct.constructPath ?? '?'),
  };
}

/**
 * Reads `validation-report.json`, where aws-cdk-lib collects what every validation plugin
 * found: cdk-nag v3 packs report there (not as annotations), beside CDK's own CloudFormation
 * rules and, with `annotationsInValidationReport`, construct warnings and errors.
 */
export function readValidationReport(assemblyDir: string): {
  findings: ValidationFinding[];
  acknowledged: AcknowledgedFinding[];
} {
  const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')) as ValidationReport;
  const findings = report.pluginReports.flatMap((pluginReport) =>
    pluginReport.violations.map((violation) => toFinding(pluginReport.pluginName, violation)),
  );
  const acknowledged = report.pluginReports.flatMap((pluginReport) =>
    (pluginReport.suppressedViolations ?? []).map((violation) => ({
      ...toFinding(pluginReport.pluginName, violation),
      acknowledgedId: violation.acknowledgedId ?? '?',
      reason: violation.reason ?? '',
      acknowledgedAt: violation.acknowledgedAt ?? '?',
    })),
  );
  return { findings, acknowledged };
}

/** Findings as one line each, for assertion messages a person can act on. */
export function describeFindings(findings: readonly ValidationFinding[]): string {
  return findings
    .map((finding) => `${finding.severity} ${finding.rule} (${finding.plugin}) at ${finding.constructPaths.join(', ')}: ${finding.description}`)
    .join('\n');
}

/** Result of {@link synthesize}: the assembly if synthesis succeeded, and the report either way. */
export interface SynthesisResult {
  readonly assembly: CloudAssembly | undefined;
  readonly error: Error | undefined;
  readonly findings: ValidationFinding[];
  readonly acknowledged: AcknowledgedFinding[];
}

/**
 * Synthesizes an app whose outdir is set, keeping the validation report even when an
 * error-level finding makes synthesis throw (the report is written before the throw).
 */
export function synthesize(app: App): SynthesisResult {
  let assembly: CloudAssembly | undefined;
  let error: Error | undefined;
  try {
    assembly = app.synth();
  } catch (caught) {
    error = caught instanceof Error ? caught : new Error(String(caught));
  }
  if (!existsSync(join(app.outdir, 'validation-report.json'))) {
    // No plugin ran at all, or synthesis failed before validation: either way, nothing to read.
    throw error ?? new Error(`no validation-report.json in ${app.outdir}: are the cdk-nag packs registered?`);
  }
  return { assembly, error, ...readValidationReport(app.outdir) };
}
