/**
 * No deployed function bundles the `yaml` package (112 kB minified, and a slower cold start):
 * synthesis ships the rules and playbooks as JSON, and what the functions import reads JSON only.
 * Each bundle is built as ServiceFunction deploys it; its source map lists every input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServiceFunctionBundle } from '#infra/bundling/build-service-function-bundle.ts';
import { serviceFunctionEntries } from '#infra/stacks/service-stack.ts';
import { makeTempDir } from './support/synth.ts';

/** The inputs of a built bundle, as its source map names them (relative to the bundle). */
function inputsOf(outfile: string): readonly string[] {
  return (JSON.parse(readFileSync(`${outfile}.map`, 'utf8')) as { sources: string[] }).sources;
}

describe('deployed bundles without the yaml package', () => {
  const outdir = makeTempDir('bundles-yaml');

  afterAll(() => {
    outdir.remove();
  });

  it('leaves yaml out of every function the service stack deploys (PostEvent and EventBridgeTarget among them)', async () => {
    // Prepare
    const entries = serviceFunctionEntries();
    expect(entries.map((entry) => entry.id)).toEqual(expect.arrayContaining(['PostEvent', 'EventBridgeTarget', 'ListAutomationRules', 'ResetAutomationRule', 'ListPlaybooks', 'PlaybookStep']));

    // Act
    const withYaml: string[] = [];
    let sawSharedInputs = 0;
    for (const { id, entry } of entries) {
      const inputs = inputsOf(await buildServiceFunctionBundle(entry, join(outdir.path, id)));
      if (inputs.some((input) => input.includes('/shared/'))) sawSharedInputs += 1;
      withYaml.push(...inputs.filter((input) => /(^|\/)node_modules\/yaml\//.test(input)).slice(0, 1).map((input) => `${id}: ${input}`));
    }

    // Assess: the source maps do name the inputs (so an absent yaml is absent, not unlisted)
    expect(sawSharedInputs).toBe(entries.length);
    expect(withYaml).toEqual([]);
  });
});
