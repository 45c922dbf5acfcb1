import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FOLDERS = ['daemon', 'pipeline', 'devices', 'config', 'scripts'];

/** Every TypeScript source file of the product, relative to the root. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  FOLDERS.forEach(walk);
  return out;
}

/** Relative imports of each file, type-only ones included (static and dynamic). */
function importGraph(): Map<string, string[]> {
  const files = new Set(sources());
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const deps: string[] = [];
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const target = path.normalize(path.join(path.dirname(file), (match[1] ?? match[2])!));
      if (files.has(target)) deps.push(target);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the architecture the folders show', () => {
  const graph = importGraph();

  it('has no import cycle, type-only imports included', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles(graph)).toEqual([]);
  });

  it('points dependencies one way: pipeline and devices never import daemon or each other, config only itself', () => {
    const top = (file: string) => file.split(path.sep)[0]!;
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        const from = top(file);
        const to = top(dep);
        const allowed =
          from === to ||
          to === 'config' ||
          (from === 'daemon' && (to === 'pipeline' || to === 'devices')) ||
          (from === 'scripts' && to !== 'test') ||
          // `classcast bench` loads the benchmarks when it runs (README, "Layout").
          (file === path.join('daemon', 'cli', 'commands', 'bench.ts') && dep.startsWith(path.join('scripts', 'bench') + path.sep));
        if (!allowed) wrong.push(`${file} → ${dep}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
