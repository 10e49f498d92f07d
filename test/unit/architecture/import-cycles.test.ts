import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * Issue 11's "no import circle", held by a test. The graph is built with the TypeScript compiler's
 * own module resolution (so `#shared/*` package imports resolve exactly as tsc resolves them) over
 * every source file outside node_modules and test/. Type-only imports are erased at run time and
 * cannot form a runtime circle, but a circle of them still ties two modules' designs together, so
 * they count too.
 */

const projectRoot = path.resolve(import.meta.dirname, '../../..');
const sourceRoots = ['shared', 'functions', 'local', 'responders', 'infra', 'scripts', 'bench'];

function sourceGraph(): Map<string, string[]> {
  const configPath = path.join(projectRoot, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (file) => readFileSync(file, 'utf8'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, projectRoot);
  const files = parsed.fileNames.filter((file) => {
    const relative = path.relative(projectRoot, file);
    return sourceRoots.some((root) => relative.startsWith(`${root}${path.sep}`)) && !file.endsWith('.d.ts');
  });
  const host = ts.createCompilerHost(parsed.options);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets: string[] = [];
    for (const reference of info.importedFiles) {
      const resolved = ts.resolveModuleName(reference.fileName, file, parsed.options, host).resolvedModule;
      if (resolved === undefined || resolved.isExternalLibraryImport === true) continue;
      const target = path.relative(projectRoot, resolved.resolvedFileName);
      if (!target.startsWith('node_modules') && !target.endsWith('.d.ts')) targets.push(target);
    }
    graph.set(path.relative(projectRoot, file), targets);
  }
  return graph;
}

/** Every strongly connected component with more than one file, or a file importing itself (Tarjan). */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member !== undefined) {
          onStack.delete(member);
          component.push(member);
        }
      } while (member !== undefined && member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('imports', () => {
  it('the circle finder finds a circle of three and a self-import, and nothing in a tree', () => {
    // Prepare
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
      ['f.ts', ['d.ts']],
    ]);

    // Act
    const found = circles(graph);

    // Assess
    expect(found).toEqual(expect.arrayContaining([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]));
    expect(found).toHaveLength(2);
  });

  it('resolves package imports (#shared/*) as tsc does, so the graph is the real one', () => {
    // Act
    const graph = sourceGraph();

    // Assess: a file known to import through `#shared/*` has that edge
    const edges = graph.get(path.join('functions', 'api', 'openapi.ts')) ?? [];
    expect(graph.size).toBeGreaterThan(200);
    expect(edges.some((target) => target.startsWith(`shared${path.sep}`))).toBe(true);
  });

  it('no source file takes part in an import circle', () => {
    // Act
    const found = circles(sourceGraph());

    // Assess
    expect(found).toEqual([]);
  });
});
