/**
 * A top-level string constant as the SDK's schema generator writes it, one per line:
 * `const _eQN = "ec2QueryName";`.
 */
const stringConstant = /^const (_[A-Za-z0-9_$]+) = ("(?:[^"\\\n]|\\.)*");$/gm;

/** A computed object key naming an identifier, as the generator writes it: `[_eQN]:`. */
const computedKey = /\[(_[A-Za-z0-9_$]+)\]:/g;

/** One rewritten key: where `[_X]` began in the original text, the name, and the string literal written instead. */
export interface SchemaKeySite {
  readonly offset: number;
  readonly name: string;
  readonly literal: string;
}

/** What {@link rewriteSchemaKeys} made of one file. */
export interface RewrittenSchemaKeys {
  readonly contents: string;
  readonly sites: readonly SchemaKeySite[];
}

/**
 * The textual half of the schema-key inlining: every `[_X]:` whose `_X` has a line
 * `const _X = "…";` becomes `"…":`. Nothing here proves the result means the same;
 * `assertKeysInlinable` does, and `inlineSchemaKeys` never returns one without the other.
 */
export function rewriteSchemaKeys(source: string): RewrittenSchemaKeys {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(stringConstant)) {
    if (name !== undefined && literal !== undefined) constants.set(name, literal);
  }
  const sites: SchemaKeySite[] = [];
  const contents = source.replace(computedKey, (key, name: string, offset: number) => {
    const literal = constants.get(name);
    if (literal === undefined) return key;
    sites.push({ offset, name, literal });
    return `${literal}:`;
  });
  return { contents, sites };
}
