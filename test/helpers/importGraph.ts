// The import graph of the project's TypeScript sources (read from the source tree, not dist/), for
// tests that keep the layers apart and core/ free of cycles. Type-only imports count: a cycle of
// types is still two modules that cannot be understood one without the other.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { root } from './fixtures.js';

/** Project-relative path of a source file → project-relative paths of the source files it imports. */
export type ImportGraph = Map<string, string[]>;

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

/** Every .ts file under a project folder (generated code included, dist and node_modules never). */
function sources(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, folder))) {
    const path = join(folder, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The relative imports of one file, as project-relative .ts paths (packages and node: left out). */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined || !spec.startsWith('.')) continue;
    out.push(relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

/** The graph of every source file under the given project folders. */
export function importGraph(...folders: string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const folder of folders) for (const file of sources(folder)) graph.set(file, importsOf(file));
  return graph;
}

/** The cycles of a graph (each once, as the path that closes it), edges leaving the graph ignored. */
export function cycles(graph: ImportGraph): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (node: string): void => {
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (onStack.has(next)) found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!done.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) if (!done.has(node)) visit(node);
  return found;
}
