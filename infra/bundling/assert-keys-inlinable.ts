import type * as TypeScript from 'typescript';
import type TypeScriptDefault from 'typescript';

type TypeScriptModule = typeof TypeScriptDefault;
import type { SchemaKeySite } from './rewrite-schema-keys.ts';

/** The name a rewrite site must be read under: a JavaScript module, so the parser takes `import` and `export`. */
const moduleFileName = '/schema-module.js';

/**
 * Proves with TypeScript's parser and binder that writing each site's string literal in place of its
 * `[_X]` key leaves the program's meaning unchanged, and throws (naming the file and the first site
 * that fails) otherwise. A site passes only if, in the original text:
 * - `[_X]` is the computed name of a `key: value` property of an object literal (not an array
 *   element, a member access, or text inside a string, template or comment);
 * - `_X` there resolves to the file's top-level `const _X = "…"` (not to a shadowing binding);
 * - the string is not `__proto__`, which as a plain key sets the prototype instead of a property.
 *
 * TypeScript (a devDependency already) is the only full JavaScript parser with scopes the project
 * keeps; esbuild exposes no syntax tree and does not inline these constants itself.
 */
export async function assertKeysInlinable(source: string, sites: readonly SchemaKeySite[], path: string): Promise<void> {
  if (sites.length === 0) return;
  const ts = (await import('typescript')).default;
  const sourceFile = ts.createSourceFile(moduleFileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const program = ts.createProgram({ rootNames: [moduleFileName], options: { allowJs: true, noLib: true, noResolve: true, types: [] }, host: singleFileHost(ts, sourceFile) });
  const fail: (message: string) => never = (message) => {
    throw new Error(`inline-schema-keys: ${path}: ${message}; refusing to rewrite its computed keys`);
  };
  const syntaxErrors = program.getSyntacticDiagnostics(sourceFile);
  if (syntaxErrors.length > 0) fail(`does not parse (${ts.flattenDiagnosticMessageText(syntaxErrors[0]?.messageText, ' ')})`);
  const checker = program.getTypeChecker();

  const constants = topLevelStringConstants(ts, sourceFile);
  const keys = computedIdentifierKeys(ts, sourceFile);
  for (const site of sites) {
    const where = `${site.name} at offset ${site.offset}`;
    const key = keys.get(site.offset);
    if (key?.text !== site.name) fail(`${where} is not the computed key of an object literal property`);
    const constant = constants.get(site.name);
    if (constant === undefined) fail(`${where} names no top-level const string`);
    if (constant.getText(sourceFile) !== site.literal) fail(`${where}: the constant is not ${site.literal}`);
    if (constant.text === '__proto__') fail(`${where}: "__proto__" as a plain key would set the prototype`);
    const declared = checker.getSymbolAtLocation((constant.parent as TypeScript.VariableDeclaration).name);
    if (declared === undefined || checker.getSymbolAtLocation(key) !== declared) fail(`${where} does not refer to the top-level const`);
  }
}

/** `name → "literal"` for every `const name = "…"` declared at the top level of the file. */
function topLevelStringConstants(ts: TypeScriptModule, sourceFile: TypeScript.SourceFile): Map<string, TypeScript.StringLiteral> {
  const constants = new Map<string, TypeScript.StringLiteral>();
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement) || (statement.declarationList.flags & ts.NodeFlags.Const) === 0) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.initializer !== undefined && ts.isStringLiteral(declaration.initializer)) {
        constants.set(declaration.name.text, declaration.initializer);
      }
    }
  }
  return constants;
}

/** Start of each `[identifier]` that is the computed name of an object literal's `key: value` property → that identifier. */
function computedIdentifierKeys(ts: TypeScriptModule, sourceFile: TypeScript.SourceFile): Map<number, TypeScript.Identifier> {
  const keys = new Map<number, TypeScript.Identifier>();
  const visit = (node: TypeScript.Node): void => {
    if (
      ts.isComputedPropertyName(node) &&
      ts.isIdentifier(node.expression) &&
      ts.isPropertyAssignment(node.parent) &&
      node.parent.name === node &&
      ts.isObjectLiteralExpression(node.parent.parent)
    ) {
      keys.set(node.getStart(sourceFile), node.expression);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return keys;
}

/** A compiler host that knows one file and nothing else (no library, no resolution). */
function singleFileHost(ts: TypeScriptModule, sourceFile: TypeScript.SourceFile): TypeScript.CompilerHost {
  return {
    getSourceFile: (fileName) => (fileName === moduleFileName ? sourceFile : undefined),
    getDefaultLibFileName: () => 'lib.d.ts',
    writeFile: () => undefined,
    getCurrentDirectory: () => '/',
    getCanonicalFileName: (fileName) => fileName,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (fileName) => fileName === moduleFileName,
    readFile: () => undefined,
  };
}
