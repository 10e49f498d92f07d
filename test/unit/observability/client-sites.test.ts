import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
/** What the Lambda functions bundle. Responders (hosts) and the local runtime never run in Lambda, so nothing there is traced. */
const lambdaSources = ['shared', 'functions'];

/** Every source directory that ships: what runs in Lambda, on hosts, locally, and the CDK app. */
const allSources = ['shared', 'functions', 'local', 'responders', 'infra', 'scripts', 'bench'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every `new XxxClient(` in `source` that is not the argument of `traced(`, as `file:line`. */
function untracedClients(file: string, source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/\bnew\s+([A-Z]\w*Client)\s*\(/g)) {
    const before = source.slice(0, match.index).trimEnd();
    if (!before.endsWith('traced(')) found.push(`${file}:${String(source.slice(0, match.index).split('\n').length)} ${match[1] ?? ''}`);
  }
  return found;
}

function clientSites(): { untraced: string[]; total: number } {
  let total = 0;
  const untraced: string[] = [];
  for (const dir of lambdaSources) {
    for (const file of sourceFiles(join(root, dir))) {
      const source = readFileSync(file, 'utf8');
      total += [...source.matchAll(/\bnew\s+[A-Z]\w*Client\s*\(/g)].length;
      untraced.push(...untracedClients(relative(root, file), source));
    }
  }
  return { untraced, total };
}

describe('SDK client creation sites (shared/observability/tracing.ts)', () => {
  it('builds every SDK client in shared/ and functions/ through traced()', () => {
    // Act
    const { untraced, total } = clientSites();

    // Assess: the scan sees the sites it guards (DynamoDB, S3 x2, EC2, IAM, RDS, CloudTrail, STS x2, SFN x3, SQS, Secrets Manager x2)
    expect(total).toBeGreaterThanOrEqual(15);
    expect(untraced).toEqual([]);
  });

  it('flags a client built outside traced(), on one line or across lines', () => {
    // Prepare
    const source = [
      "const fine = traced(new S3Client({ region }));",
      'const wrapped = traced(',
      '  new SQSClient({}),',
      ');',
      'const bare = new EC2Client({ region });',
      'const nested = { client: new SFNClient({}) };',
    ].join('\n');

    // Act
    const found = untracedClients('sample.ts', source);

    // Assess
    expect(found).toEqual(['sample.ts:5 EC2Client', 'sample.ts:6 SFNClient']);
  });
});

describe('where Powertools is loaded', () => {
  function importers(pattern: RegExp): string[] {
    return allSources
      .flatMap((dir) => sourceFiles(join(root, dir)))
      .filter((file) => pattern.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file))
      .sort();
  }

  it('imports Powertools in shared/observability and the mark-status entry only', () => {
    // Act
    const files = importers(/from '@aws-lambda-powertools\/|import\('@aws-lambda-powertools\//);

    // Assess
    expect(files).toEqual([
      'functions/steps/mark-status.ts',
      'shared/observability/lambda.ts',
      'shared/observability/log-formatter.ts',
      'shared/observability/metrics.ts',
    ]);
  });

  it('reaches the Powertools modules from Lambda entry points only: responders, the local runtime and the CDK app never load them', () => {
    // Act
    const files = importers(/observability\/(lambda|log-formatter|metrics)\.ts'|import\('\.\/lambda\.ts'\)/);

    // Assess: entry.ts loads lambda.ts inside Lambda only (tracing-outside-lambda.test.ts)
    expect(files).toEqual(['functions/steps/mark-status.ts', 'shared/observability/entry.ts']);
  });
});
