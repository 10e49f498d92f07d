import { formatOf, readBounded } from '#shared/automation/load-rules.ts';
import { ConfigError } from '#shared/errors.ts';
import { maxPlaybooksFileBytes, playbookCatalogueFromText } from '#shared/playbooks/definitions/index.ts';
import type { PlaybookCatalogue } from '#shared/playbooks/types.ts';
import type { ShippedFile } from '#infra/constructs/shipped-file.ts';

/** The PLAYBOOKS file as the functions find it in their bundle, by format (their loader reads it by its extension). */
const shippedNames = { json: 'playbooks.json', yaml: 'playbooks.yaml' } as const;

/**
 * Reads the `playbooks` file at synthesis and validates it exactly as the functions will at
 * start-up (a bad playbook, or a destructive step before evidence, fails synthesis naming the
 * playbook, step and field), for shipping in the bundles of the functions that run playbooks or
 * decide rules. The bytes are shipped unchanged.
 *
 * @throws ConfigError naming `playbooks` when the file is unreadable, too large or holds an invalid playbook
 */
export function readPlaybooks(path: string): { readonly shipped: ShippedFile; readonly catalogue: PlaybookCatalogue } {
  try {
    const bytes = readBounded(path, { variable: 'playbooks', noun: 'a playbooks file', maxBytes: maxPlaybooksFileBytes });
    const format = formatOf(path, bytes);
    const catalogue = playbookCatalogueFromText(bytes, path, format);
    // Valid playbooks are UTF-8 text (the loader refuses anything else), so the string round-trips to the same bytes.
    return { shipped: { fileName: shippedNames[format], content: bytes.toString('utf8') }, catalogue };
  } catch (error) {
    if (!(error instanceof ConfigError) || error.variable === 'playbooks') throw error;
    throw new ConfigError('playbooks', error.message.slice(`${error.variable}: `.length), { cause: error });
  }
}
