import { describe, expect, it } from 'vitest';
import { chunksOfManifest, pageReferences, splitFirstLoad, type EmittedChunk } from '../../../bench/console-first-load.ts';

const chunk = (fileName: string, links: Partial<Omit<EmittedChunk, 'fileName'>> = {}): EmittedChunk => ({
  fileName,
  imports: links.imports ?? [],
  dynamicImports: links.dynamicImports ?? [],
  css: links.css ?? [],
  assets: links.assets ?? [],
});

/** index.html as Vite writes it when the entry has a vendor chunk. */
const viteIndex = `<!doctype html>
<html lang="en">
  <head>
    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
    <script type="module" crossorigin src="/assets/index-A1.js"></script>
    <link rel="modulepreload" crossorigin href="/assets/vendor-B2.js">
    <link rel="stylesheet" crossorigin href="/assets/index-C3.css">
  </head>
  <body><div id="root"></div></body>
</html>`;

describe('pageReferences', () => {
  it('lists the scripts, stylesheets, module preloads and icon index.html fetches, relative to the site root', () => {
    // Prepare
    const html = viteIndex;

    // Act
    const references = pageReferences(html);

    // Assess
    expect(references).toEqual(['favicon.svg', 'assets/index-A1.js', 'assets/vendor-B2.js', 'assets/index-C3.css']);
  });

  it('reads quoted, single-quoted and unquoted attributes in any order, once per file', () => {
    // Prepare
    const html = `<LINK HREF='./assets/a.css' REL=stylesheet><script src=assets/b.js type=module></script><link href="/assets/a.css" rel="stylesheet">`;

    // Act
    const references = pageReferences(html);

    // Assess
    expect(references).toEqual(['assets/a.css', 'assets/b.js']);
  });

  it('leaves out prefetches, inline scripts, other origins and links that fetch nothing', () => {
    // Prepare
    const html = `<link rel="prefetch" href="/assets/later.js"><script type="module">console.log(1)</script><script src="https://cdn.example.com/x.js"></script><link rel="stylesheet" href="//cdn.example.com/y.css"><link rel="canonical" href="/actions"><link rel="stylesheet" href="/assets/kept.css">`;

    // Act
    const references = pageReferences(html);

    // Assess
    expect(references).toEqual(['assets/kept.css']);
  });
});

describe('splitFirstLoad', () => {
  it('counts the entry’s static imports with their CSS and assets as first load, and what only import() reaches as lazy', () => {
    // Prepare
    const chunks = [
      chunk('assets/index-A1.js', { imports: ['assets/vendor-B2.js'], dynamicImports: ['assets/history-D4.js'], css: ['assets/index-C3.css'] }),
      chunk('assets/vendor-B2.js', { assets: ['assets/font-E5.woff2'] }),
      chunk('assets/history-D4.js', { imports: ['assets/vendor-B2.js', 'assets/table-F6.js'], css: ['assets/history-G7.css'], dynamicImports: ['assets/json-H8.js'] }),
      chunk('assets/table-F6.js'),
      chunk('assets/json-H8.js'),
      chunk('assets/unused-I9.js'),
    ];

    // Act
    const split = splitFirstLoad(viteIndex, chunks);

    // Assess
    expect(split.firstLoad).toEqual(['index.html', 'favicon.svg', 'assets/index-A1.js', 'assets/vendor-B2.js', 'assets/index-C3.css', 'assets/font-E5.woff2']);
    expect(split.lazy).toEqual(['assets/history-D4.js', 'assets/table-F6.js', 'assets/history-G7.css', 'assets/json-H8.js']);
  });

  it('keeps a chunk imported both statically and dynamically in the first load only', () => {
    // Prepare
    const html = '<script type="module" src="/assets/main.js"></script>';
    const chunks = [chunk('assets/main.js', { imports: ['assets/shared.js'], dynamicImports: ['assets/shared.js', 'assets/page.js'] }), chunk('assets/shared.js'), chunk('assets/page.js', { imports: ['assets/shared.js'] })];

    // Act
    const split = splitFirstLoad(html, chunks);

    // Assess
    expect(split.firstLoad).toEqual(['index.html', 'assets/main.js', 'assets/shared.js']);
    expect(split.lazy).toEqual(['assets/page.js']);
  });
});

describe('chunksOfManifest', () => {
  it('names each chunk’s static and dynamic imports by their files, not by the manifest’s source keys', () => {
    // Prepare
    const manifest = {
      'index.html': { file: 'assets/index-A1.js', imports: ['_vendor-B2.js'], dynamicImports: ['src/pages/history.tsx'], css: ['assets/index-C3.css'] },
      '_vendor-B2.js': { file: 'assets/vendor-B2.js', assets: ['assets/font-E5.woff2'] },
      'src/pages/history.tsx': { file: 'assets/history-D4.js', imports: ['_vendor-B2.js'] },
    };

    // Act
    const chunks = chunksOfManifest(manifest);
    const split = splitFirstLoad(viteIndex, chunks);

    // Assess
    expect(chunks).toEqual([
      chunk('assets/index-A1.js', { imports: ['assets/vendor-B2.js'], dynamicImports: ['assets/history-D4.js'], css: ['assets/index-C3.css'] }),
      chunk('assets/vendor-B2.js', { assets: ['assets/font-E5.woff2'] }),
      chunk('assets/history-D4.js', { imports: ['assets/vendor-B2.js'] }),
    ]);
    expect(split.lazy).toEqual(['assets/history-D4.js']);
  });
});
