import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { inlineSchemaKeys } from '#infra/bundling/inline-schema-keys.ts';
import { inlineSchemaKeysPlugin } from '#infra/bundling/inline-schema-keys-plugin.ts';
import { rewriteSchemaKeys } from '#infra/bundling/rewrite-schema-keys.ts';
import { makeTempDir, projectRoot } from '#test/infra/support/synth.ts';

const packageJson = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const sdkClients = Object.keys(packageJson.dependencies).filter((name) => name.startsWith('@aws-sdk/client-'));
/** The clients' schema folders, and those of the clients the SDK nests for credentials (the plugin rewrites both). */
const nestedClientsDir = join(projectRoot, 'node_modules', '@aws-sdk', 'nested-clients', 'dist-es', 'submodules');
const schemaDirs: [string, string][] = [
  ...sdkClients.map((client): [string, string] => [client, join(projectRoot, 'node_modules', client, 'dist-es', 'schemas')]),
  ...readdirSync(nestedClientsDir).map((submodule): [string, string] => [`@aws-sdk/nested-clients/${submodule}`, join(nestedClientsDir, submodule, 'schemas')]),
];

const scratch = makeTempDir('inline-schema-keys');
afterAll(() => {
  scratch.remove();
});

/** The module at `path` bundled alone (unminified, so function texts stay comparable) and imported. */
async function loadModule(path: string, name: string, plugins: Plugin[]): Promise<{ exports: Record<string, unknown>; text: string }> {
  const outfile = join(scratch.path, `${name}.mjs`);
  await build({ entryPoints: [path], outfile, bundle: true, platform: 'node', format: 'esm', mainFields: ['module', 'main'], plugins, logLevel: 'error' });
  return { exports: (await import(pathToFileURL(outfile).href)) as Record<string, unknown>, text: readFileSync(outfile, 'utf8') };
}

/** A computed key naming an identifier, as the SDK's generator writes them. */
const computedKey = /\[_[A-Za-z0-9_$]+\]:/;

/**
 * Where two schema values first differ, or undefined when they are equal: same kinds, same own keys
 * in the same order, equal members; a schema's lazy `() => Other$` references are followed (cycles
 * included), any other function (the error classes) must have the same source text.
 */
function firstDifference(left: unknown, right: unknown, path: string, seen = new Map<unknown, unknown>()): string | undefined {
  if (Object.is(left, right)) return undefined;
  if (typeof left !== typeof right) return `${path}: ${typeof left} versus ${typeof right}`;
  if (typeof left === 'function' && typeof right === 'function') {
    const [leftText, rightText] = [Function.prototype.toString.call(left), Function.prototype.toString.call(right)];
    if (leftText !== rightText) return `${path}: ${leftText.slice(0, 80)} versus ${rightText.slice(0, 80)}`;
    if (left.length !== 0 || !leftText.startsWith('() =>')) return undefined;
    return firstDifference((left as () => unknown)(), (right as () => unknown)(), `${path}()`, seen);
  }
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return `${path}: ${String(left)} versus ${String(right)}`;
  if (seen.get(left) === right) return undefined;
  seen.set(left, right);
  if (kindOf(left) !== kindOf(right)) return `${path}: ${kindOf(left)} versus ${kindOf(right)}`;
  if (left instanceof Map && right instanceof Map) return firstDifference([...left.entries()], [...right.entries()], `${path}.entries`, seen);
  const [leftKeys, rightKeys] = [Reflect.ownKeys(left), Reflect.ownKeys(right)];
  if (leftKeys.join('\0') !== rightKeys.join('\0')) return `${path}: keys ${leftKeys.map(String).join()} versus ${rightKeys.map(String).join()}`;
  for (const key of leftKeys) {
    const difference = firstDifference((left as Record<PropertyKey, unknown>)[key], (right as Record<PropertyKey, unknown>)[key], `${path}.${String(key)}`, seen);
    if (difference !== undefined) return difference;
  }
  return undefined;
}

function kindOf(value: object): string {
  return (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object without prototype';
}

describe('inlineSchemaKeys on the SDK clients the project depends on', () => {
  it('covers every client in package.json, Auto Scaling included', () => {
    expect(sdkClients).toContain('@aws-sdk/client-auto-scaling');
    expect(sdkClients).toContain('@aws-sdk/client-ec2');
  });

  it.each(schemaDirs)('%s: every export of each rewritten schema module equals the original', { timeout: 180_000 }, async (client, schemasDir) => {
    // Prepare
    const schemaFiles = readdirSync(schemasDir).filter((file) => /^schemas_\d+\.js$/.test(file));
    expect(schemaFiles.length).toBeGreaterThan(0);

    for (const file of schemaFiles) {
      const path = join(schemasDir, file);
      const name = `${client.replace(/\W/g, '_')}_${file}`;

      // Act
      const { inlined } = await inlineSchemaKeys(readFileSync(path, 'utf8'), path);
      const original = await loadModule(path, `${name}-original`, []);
      const rewritten = await loadModule(path, `${name}-rewritten`, [inlineSchemaKeysPlugin()]);

      // Assess: the plugin rewrote every key, and nothing the module exports changed
      expect(inlined).toBeGreaterThan(0);
      expect(original.text).toMatch(computedKey);
      expect(rewritten.text).not.toMatch(computedKey);
      expect(Object.keys(rewritten.exports)).toEqual(Object.keys(original.exports));
      for (const exported of Object.keys(original.exports)) {
        expect(firstDifference(rewritten.exports[exported], original.exports[exported], `${file}:${exported}`)).toBeUndefined();
      }
    }
  });
});

describe('inlineSchemaKeys refuses a rewrite that would change meaning', () => {
  const header = 'const _a = "alpha";\nconst _p = "__proto__";\n';

  it('writes a computed key naming a top-level const string as that string, and nothing else', async () => {
    // Act
    const result = await inlineSchemaKeys(`${header}export var s = [0, { [_a]: _a }, [_a]];\n`, 'fixture.js');

    // Assess
    expect(result).toEqual({ contents: `${header}export var s = [0, { "alpha": _a }, [_a]];\n`, inlined: 1 });
  });

  it.each([
    ['an array in a conditional', 'export var s = c ? [_a]: 1;\n', 'c ? "alpha": 1', /is not the computed key of an object literal property/],
    ['a shadowing parameter', 'export function f(_a) { return { [_a]: 1 }; }\n', '{ "alpha": 1 }', /does not refer to the top-level const/],
    ['a template literal', 'export var s = `[_a]: 1`;\n', '`"alpha": 1`', /is not the computed key of an object literal property/],
    ['a __proto__ key', 'export var s = { [_p]: 1 };\n', '{ "__proto__": 1 }', /"__proto__" as a plain key would set the prototype/],
    ['a member access in a conditional', 'export var s = c ? m[_a]: 1;\n', 'm"alpha": 1', /is not the computed key of an object literal property/],
  ])('%s', async (_case, body, naive, refusal) => {
    // Prepare: the textual rewrite alone would emit this
    const source = `${header}export var fine = { [_a]: 1 };\n${body}`;
    expect(rewriteSchemaKeys(source).contents).toContain(naive);

    // Act
    const act = inlineSchemaKeys(source, 'crafted.js');

    // Assess
    await expect(act).rejects.toThrow(refusal);
  });

  it('fails an esbuild build that loads such a module as an SDK schema file, writing no bundle', async () => {
    // Prepare: a crafted module where the plugin's filter looks for SDK schema files
    const schemasDir = join(scratch.path, 'node_modules', '@aws-sdk', 'client-crafted', 'dist-es', 'schemas');
    mkdirSync(schemasDir, { recursive: true });
    writeFileSync(join(schemasDir, 'schemas_0.js'), `${header}export var s = c ? [_a]: 1;\n`);
    const outfile = join(scratch.path, 'crafted-bundle.mjs');

    // Act
    const act = build({ entryPoints: [join(schemasDir, 'schemas_0.js')], outfile, bundle: true, format: 'esm', plugins: [inlineSchemaKeysPlugin()], logLevel: 'silent' });

    // Assess
    await expect(act).rejects.toThrow(/refusing to rewrite its computed keys/);
    expect(readdirSync(scratch.path)).not.toContain('crafted-bundle.mjs');
  });
});
