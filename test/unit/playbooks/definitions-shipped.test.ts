/**
 * The playbooks as the functions in AWS load them (loadShippedPlaybookCatalogue): JSON only, so
 * their bundles carry no YAML parser, with the SHA-256 of the operator's file that synthesis gives.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseContent } from '#shared/automation/load-rules.ts';
import { loadShippedPlaybookCatalogue, PlaybookFileError } from '#shared/playbooks/definitions/index.ts';
import { loadPlaybookCatalogue, playbookCatalogueFromText } from '#shared/playbooks/definitions/load.ts';

const directory = mkdtempSync(join(tmpdir(), 'shipped-playbooks-'));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

const example = new URL('../../../docs/playbooks.example.yaml', import.meta.url);

function write(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

describe('loadShippedPlaybookCatalogue', () => {
  it('has the built-ins alone without a file', () => {
    // Act + Assess
    for (const file of [undefined, null, ' ']) expect(loadShippedPlaybookCatalogue(file).list()).toEqual(loadPlaybookCatalogue().list());
    expect(loadShippedPlaybookCatalogue(null).fileSha256).toBeNull();
  });

  it('reads the JSON of a YAML file to the same playbooks, reporting the YAML\'s digest that synthesis gives', () => {
    // Prepare: what synthesis ships for the example file
    const yaml = readFileSync(example);
    const digest = createHash('sha256').update(yaml).digest('hex');
    const fromYaml = playbookCatalogueFromText(yaml, 'example.yaml', 'yaml');
    const path = write('playbooks.json', JSON.stringify(parseContent(yaml, 'example.yaml', 'yaml', 'PLAYBOOKS'), null, 2));
    expect(fromYaml.list().some((playbook) => playbook.source === 'custom')).toBe(true);

    // Act
    const shipped = loadShippedPlaybookCatalogue(path, digest);
    const own = loadShippedPlaybookCatalogue(path);

    // Assess
    expect(shipped.list()).toEqual(fromYaml.list());
    expect(shipped.fileSha256).toBe(digest);
    expect(own.fileSha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
  });

  it('refuses YAML, a bad digest and an invalid playbook, as a PlaybookFileError or ConfigError naming PLAYBOOKS', () => {
    // Prepare
    const yamlPath = write('playbooks.yaml', 'playbooks: []\n');
    const json = write('empty.json', '{"playbooks": []}');
    const bad = write('bad.json', JSON.stringify({ playbooks: [{ name: 'x' }] }));

    // Act + Assess
    expect(() => loadShippedPlaybookCatalogue(yamlPath)).toThrow(PlaybookFileError);
    expect(() => loadShippedPlaybookCatalogue(yamlPath)).toThrow(`PLAYBOOKS: ${yamlPath}: must be JSON here`);
    expect(() => loadShippedPlaybookCatalogue(json, 'XYZ')).toThrow('PLAYBOOKS_SHA256: must be a SHA-256 digest');
    expect(() => loadShippedPlaybookCatalogue(bad)).toThrow(/^PLAYBOOKS: .*playbooks\[0\] \(x\)/);
  });
});
