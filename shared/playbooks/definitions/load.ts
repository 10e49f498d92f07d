/**
 * The playbooks in force in the local runtime (and at synthesis): the built-ins, plus those of the
 * file PLAYBOOKS names, JSON or YAML. Functions in AWS read the JSON synthesis ships through
 * catalogue.ts, which keeps the `yaml` package out of their bundles: never import this there.
 */
import { createHash } from 'node:crypto';
import { formatOf, parseContent, readBounded } from '#shared/automation/load-rules.ts';
import type { PlaybookCatalogue } from '../types.ts';
import { asPlaybookFileError, catalogueOf, maxPlaybooksFileBytes, playbookCatalogueFromDocument } from './catalogue.ts';

const variable = 'PLAYBOOKS';

/** The built-ins and the playbooks of `text` (a file's content); `origin` names it in errors. */
export function playbookCatalogueFromText(text: string | Buffer, origin: string, format?: 'json' | 'yaml'): PlaybookCatalogue {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let raw: unknown;
  try {
    raw = parseContent(bytes, origin, format ?? formatOf(origin, bytes), variable);
  } catch (error) {
    throw asPlaybookFileError(error, origin);
  }
  return playbookCatalogueFromDocument(raw, origin, createHash('sha256').update(bytes).digest('hex'));
}

/** The playbooks in force: the built-ins alone without a file (or a blank name), else the built-ins and the file's. */
export function loadPlaybookCatalogue(file?: string | null): PlaybookCatalogue {
  if (file === undefined || file === null || file.trim() === '') return catalogueOf([], null);
  let bytes: Buffer;
  try {
    bytes = readBounded(file, { variable, noun: 'a playbooks file', maxBytes: maxPlaybooksFileBytes });
  } catch (error) {
    throw asPlaybookFileError(error, file);
  }
  return playbookCatalogueFromText(bytes, file, formatOf(file, bytes));
}
