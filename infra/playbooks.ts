import { createHash } from 'node:crypto';
import { formatOf, parseContent, readBounded } from '#shared/automation/load-rules.ts';
import { ConfigError } from '#shared/errors.ts';
import { maxPlaybooksFileBytes } from '#shared/playbooks/definitions/index.ts';
import { playbookCatalogueFromDocument } from '#shared/playbooks/definitions/catalogue.ts';
import type { PlaybookCatalogue } from '#shared/playbooks/types.ts';
import { shippedJson, type ShippedFile } from '#infra/constructs/shipped-file.ts';

/** The PLAYBOOKS file as the functions find it in their bundle: always JSON, which they parse without a YAML parser. */
const shippedName = 'playbooks.json';

/**
 * Reads the `playbooks` file at synthesis and validates it exactly as the functions will at
 * start-up (a bad playbook, or a destructive step before evidence, fails synthesis naming the
 * playbook, step and field), for shipping in the bundles of the functions that run playbooks or
 * decide rules. JSON or YAML, it ships as the parsed document in JSON (the functions bundle no YAML
 * parser); `shipped.sha256` is the operator's file's (the catalogue's `fileSha256`).
 *
 * @throws ConfigError naming `playbooks` when the file is unreadable, too large or holds an invalid playbook
 */
export function readPlaybooks(path: string): { readonly shipped: ShippedFile; readonly catalogue: PlaybookCatalogue } {
  try {
    const bytes = readBounded(path, { variable: 'playbooks', noun: 'a playbooks file', maxBytes: maxPlaybooksFileBytes });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    let document: unknown;
    try {
      document = parseContent(bytes, path, formatOf(path, bytes), 'PLAYBOOKS');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError('playbooks', error.message.slice(`${error.variable}: `.length), { cause: error });
    }
    const catalogue = playbookCatalogueFromDocument(document, path, sha256);
    // The schema takes only finite numbers, strings, booleans, lists and maps, which JSON carries unchanged.
    return { shipped: { fileName: shippedName, content: shippedJson(document), sha256 }, catalogue };
  } catch (error) {
    if (!(error instanceof ConfigError) || error.variable === 'playbooks') throw error;
    throw new ConfigError('playbooks', error.message.slice(`${error.variable}: `.length), { cause: error });
  }
}
