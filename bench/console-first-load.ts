/**
 * Which of the console's built files a first visit loads: what index.html references, and what
 * those scripts import statically (with their CSS and assets), apart from the chunks only a
 * dynamic `import()` reaches, which load when a page needs them.
 */

/** One JavaScript chunk of the build, as the bundler reports it (paths relative to the build folder). */
export interface EmittedChunk {
  readonly fileName: string;
  readonly imports: readonly string[];
  readonly dynamicImports: readonly string[];
  /** The CSS files the chunk's modules import (loaded with the chunk). */
  readonly css: readonly string[];
  /** The other files the chunk's modules reference (fonts, images). */
  readonly assets: readonly string[];
}

/** Vite's build manifest (`build.manifest`): chunks by key; `imports` and `dynamicImports` name other keys, not files. */
export type ViteManifest = Readonly<
  Record<
    string,
    {
      readonly file: string;
      readonly imports?: readonly string[];
      readonly dynamicImports?: readonly string[];
      readonly css?: readonly string[];
      readonly assets?: readonly string[];
    }
  >
>;

/** The manifest's chunks with every link named by its file. */
export function chunksOfManifest(manifest: ViteManifest): EmittedChunk[] {
  const fileOf = (key: string): string => manifest[key]?.file ?? key;
  return Object.values(manifest).map((chunk) => ({
    fileName: chunk.file,
    imports: (chunk.imports ?? []).map(fileOf),
    dynamicImports: (chunk.dynamicImports ?? []).map(fileOf),
    css: chunk.css ?? [],
    assets: chunk.assets ?? [],
  }));
}

/** The build's files split by when a browser loads them; every list in the order first reached. */
export interface FirstLoadSplit {
  /** index.html, what it references, and the static import closure of its scripts. */
  readonly firstLoad: readonly string[];
  /** Chunks (and their CSS and assets) reached only through dynamic imports. */
  readonly lazy: readonly string[];
}

// The rel values a browser fetches while loading the page; `prefetch` is for later and is left out.
const fetchedRels = new Set(['stylesheet', 'modulepreload', 'preload', 'icon']);
const origin = 'http://console.invalid';

/**
 * The same-origin files index.html makes the browser fetch: every `<script src>` and every
 * `<link href>` whose rel is stylesheet, modulepreload, preload or icon, as paths relative to the
 * site root (`/assets/x.js` → `assets/x.js`), without repeats. Other origins are not the build's.
 */
export function pageReferences(indexHtml: string): string[] {
  const references: string[] = [];
  for (const [, tag = '', attributeText = ''] of indexHtml.matchAll(/<(script|link)\b([^>]*)>/gi)) {
    const attributes = parseAttributes(attributeText);
    const isScript = tag.toLowerCase() === 'script';
    const target = isScript ? attributes.get('src') : attributes.get('href');
    if (target === undefined || target === '') continue;
    if (!isScript) {
      const rels = (attributes.get('rel') ?? '').toLowerCase().split(/\s+/);
      if (!rels.some((rel) => fetchedRels.has(rel))) continue;
    }
    const url = new URL(target, `${origin}/`);
    if (url.origin !== origin) continue;
    const path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    if (!references.includes(path)) references.push(path);
  }
  return references;
}

/**
 * Splits the build: index.html and {@link pageReferences} are the first load, grown by the static
 * imports, CSS and assets of every chunk in it; chunks reached from there only by dynamic imports
 * (and what they load in turn, less what the first load has) are lazy.
 */
export function splitFirstLoad(indexHtml: string, chunks: readonly EmittedChunk[]): FirstLoadSplit {
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
  const firstLoad = closure(['index.html', ...pageReferences(indexHtml)], byName, new Set());
  const dynamicRoots = firstLoad.flatMap((file) => byName.get(file)?.dynamicImports ?? []);
  const lazy: string[] = [];
  const seen = new Set(firstLoad);
  // A lazy chunk may import further chunks dynamically: follow until nothing new turns up.
  for (let roots = dynamicRoots; roots.length > 0; ) {
    const reached = closure(roots, byName, seen);
    lazy.push(...reached);
    roots = reached.flatMap((file) => byName.get(file)?.dynamicImports ?? []);
  }
  return { firstLoad, lazy };
}

/** `roots` and everything they load statically, skipping files in `seen` (which it adds to). */
function closure(roots: readonly string[], byName: ReadonlyMap<string, EmittedChunk>, seen: Set<string>): string[] {
  const reached: string[] = [];
  const pending = [...roots];
  for (let file = pending.shift(); file !== undefined; file = pending.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    reached.push(file);
    const chunk = byName.get(file);
    if (chunk !== undefined) pending.push(...chunk.imports, ...chunk.css, ...chunk.assets);
  }
  return reached;
}

/** An HTML start tag's attributes by lower-case name; a bare attribute has the value ''. */
function parseAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const [, name = '', doubleQuoted, singleQuoted, unquoted] of text.matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    const key = name.toLowerCase();
    if (!attributes.has(key)) attributes.set(key, doubleQuoted ?? singleQuoted ?? unquoted ?? '');
  }
  return attributes;
}
