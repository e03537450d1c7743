/**
 * The modules of this library import each other without run-time cycles (type-only imports are
 * erased and do not count). Regression: `api.ts` ↔ `controllers.ts` over `PATCH_TYPES`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('./', import.meta.url);
const modules = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));

/** Relative modules a file imports or re-exports at run time (not `import type` / `export type`). */
function runtimeImports(file: string): string[] {
  const src = readFileSync(new URL(file, dir), 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'\.\/([^']+)\.js'/gm)) {
    if (!m[1]) out.push(`${m[2]}.ts`);
  }
  return out;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'active') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'active');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

describe('module graph', () => {
  it('has no run-time import cycle', () => {
    const graph = new Map(modules.map((f) => [f, runtimeImports(f)]));
    expect(graph.get('controllers.ts')).toContain('patch-types.ts');
    expect(findCycle(graph)).toBeUndefined();
  });
  it('the cycle finder finds a planted cycle', () => {
    expect(findCycle(new Map([['api.ts', ['controllers.ts']], ['controllers.ts', ['api.ts']]]))).toEqual(['api.ts', 'controllers.ts', 'api.ts']);
  });
});
