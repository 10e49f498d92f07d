import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Absolute path of a shipped ASL file.
 *
 * @param file the file relative to the repository root, e.g. `state-machines/cloud-action.asl.json`
 */
export function shippedAslPath(file: string): string {
  return join(import.meta.dirname, '..', '..', file);
}

/**
 * A shipped ASL file as a state machine's definition string: the file's JSON, compacted, with
 * `additions` as extra top-level fields (e.g. `TimeoutSeconds`). The `${...}` placeholders stay for
 * DefinitionSubstitutions, and each must be one the CDK app substitutes, so a placeholder added
 * to the file without its substitution fails synthesis instead of a deployment.
 *
 * @param file the file relative to the repository root
 * @param substitutionNames the `${...}` names the app gives in DefinitionSubstitutions
 * @param additions top-level fields the deployment adds (nothing else changes)
 * @returns the definition string for `DefinitionBody.fromString`
 */
export function shippedAslDefinition(file: string, substitutionNames: readonly string[], additions: Readonly<Record<string, unknown>> = {}): string {
  const shipped: unknown = JSON.parse(readFileSync(shippedAslPath(file), 'utf8'));
  if (typeof shipped !== 'object' || shipped === null || Array.isArray(shipped)) {
    throw new TypeError(`${file} is not a JSON object`);
  }
  const text = JSON.stringify({ ...shipped, ...additions });
  const unknownPlaceholder = [...text.matchAll(/\$\{([^}]+)\}/g)]
    .map((match) => match[1] ?? '')
    .find((name) => !substitutionNames.includes(name));
  if (unknownPlaceholder !== undefined) {
    throw new Error(`${file} uses \${${unknownPlaceholder}}, which the CDK app does not substitute`);
  }
  return text;
}
