import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertKeysInlinable } from './assert-keys-inlinable.ts';
import { rewriteSchemaKeys } from './rewrite-schema-keys.ts';

/** What {@link inlineSchemaKeys} made of one file. */
export interface InlinedSchemaKeys {
  /** The file with every `[_X]:` whose `_X` is a top-level string constant written as that string. */
  readonly contents: string;
  /** How many keys were rewritten. */
  readonly inlined: number;
}

/** Options of {@link inlineSchemaKeys}. */
export interface InlineSchemaKeysOptions {
  /**
   * Where to remember sources already proved (an empty file per hash of the source and of the code
   * that proves it), so that each bundle need not parse the same SDK files again: the proof of EC2's
   * 1.3 MB schema file takes seconds. Only the fact is kept; the rewrite is always redone.
   */
  readonly verifiedCacheDir?: string;
}

/** The code whose verdict a cache entry records: a change to either invalidates every entry. */
const proofSources = ['rewrite-schema-keys.ts', 'assert-keys-inlinable.ts'].map((file) => readFileSync(join(import.meta.dirname, file), 'utf8'));

/**
 * Rewrites the computed keys of an AWS SDK schema file (`{ [_eQN]: … }`) to the string constants
 * they name (`{ "ec2QueryName": … }`), leaving everything else as it is, or throws if any rewrite
 * could change what the file means (see `assertKeysInlinable`).
 *
 * esbuild keeps any object literal with a computed key as a possible side effect, so a bundle of one
 * SDK command otherwise carries every schema of the service (aws/aws-sdk-js-v3#7607).
 */
export async function inlineSchemaKeys(source: string, path: string, options: InlineSchemaKeysOptions = {}): Promise<InlinedSchemaKeys> {
  const { contents, sites } = rewriteSchemaKeys(source);
  const cacheDir = options.verifiedCacheDir;
  const marker = cacheDir === undefined ? undefined : join(cacheDir, proofKey(source));
  if (marker !== undefined && existsSync(marker)) return { contents, inlined: sites.length };
  await assertKeysInlinable(source, sites, path);
  if (cacheDir !== undefined && marker !== undefined) {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(marker, '');
  }
  return { contents, inlined: sites.length };
}

function proofKey(source: string): string {
  const hash = createHash('sha256');
  for (const proofSource of proofSources) hash.update(proofSource).update('\0');
  return hash.update(source).digest('hex');
}
