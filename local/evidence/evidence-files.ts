/**
 * The local evidence store's layout under `<DATA_DIR>/evidence/` (the same one the embedded S3's
 * mirror wrote, so an existing DATA_DIR's evidence still reads):
 * - `<actionId>/<name>`: the exact bytes (a person can open them);
 * - `<actionId>/.meta/<name>.json`: the object's metadata.
 * The metadata is written first and claims the name (created, never replaced); the content file
 * follows and is the commit marker: metadata without content is a write in flight or one a crash
 * interrupted. Files are 0600, directories 0700. Names never start with a dot, so `.meta` and the
 * `.tmp-*` files can never be evidence.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EvidenceObject } from '#shared/ports.ts';

/** The metadata file beside each object. */
export interface ObjectRecord {
  readonly key: string;
  readonly size: number;
  /** Hex SHA-256 of the bytes as written. */
  readonly sha256: string;
  readonly contentType: string;
  /** `sha256` and `created-at`, as S3 object metadata would carry them. */
  readonly metadata: Record<string, string>;
  readonly lastModified: string;
}

export interface ObjectPaths {
  readonly actionDir: string;
  readonly metaDir: string;
  readonly content: string;
  readonly metadata: string;
}

/** `<root>/<actionId>/.meta`, where the action's metadata files are. */
export function metaDirOf(root: string, actionId: string): string {
  return path.join(root, actionId, '.meta');
}

export function objectPaths(root: string, actionId: string, name: string): ObjectPaths {
  const actionDir = path.join(root, actionId);
  const metaDir = metaDirOf(root, actionId);
  return { actionDir, metaDir, content: path.join(actionDir, name), metadata: path.join(metaDir, `${name}.json`) };
}

export function newRecord(key: string, object: { size: number; sha256: string; contentType: string; createdAt: string }): ObjectRecord {
  return {
    key,
    size: object.size,
    sha256: object.sha256,
    contentType: object.contentType,
    metadata: { sha256: object.sha256, 'created-at': object.createdAt },
    lastModified: object.createdAt,
  };
}

export function evidenceObjectOf(name: string, record: ObjectRecord): EvidenceObject {
  return {
    name,
    key: record.key,
    size: record.size,
    sha256: record.sha256,
    contentType: record.contentType,
    createdAt: record.metadata['created-at'] ?? record.lastModified,
  };
}

/** The metadata file's record, or null when it is unreadable or names another key. */
export async function readRecord(file: string, key: string): Promise<ObjectRecord | null | 'missing'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return 'missing';
    throw error;
  }
  return parseRecord(text, key);
}

function parseRecord(text: string, key: string): ObjectRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const metadata = record.metadata;
  if (
    record.key !== key ||
    typeof record.size !== 'number' ||
    typeof record.sha256 !== 'string' ||
    typeof record.contentType !== 'string' ||
    typeof record.lastModified !== 'string' ||
    typeof metadata !== 'object' ||
    metadata === null ||
    !Object.values(metadata).every((each) => typeof each === 'string')
  ) {
    return null;
  }
  return {
    key,
    size: record.size,
    sha256: record.sha256,
    contentType: record.contentType,
    metadata: metadata as Record<string, string>,
    lastModified: record.lastModified,
  };
}

/** Size and hex SHA-256 of a file, hashed as it streams (evidence may be large). */
export async function digestFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.byteLength;
  }
  return { size, sha256: hash.digest('hex') };
}

/** A directory's entries; none when it does not exist or is not a directory. */
export async function listDirectory(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if (isMissing(error) || (error instanceof Error && 'code' in error && error.code === 'ENOTDIR')) return [];
    throw error;
  }
}

export function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
