/**
 * A bound on how deeply a request body may nest. Every walk over objects in this server (clone,
 * deepEqual, patches, schema validation) recurses, so a body nested thousands of levels deep
 * would overflow the stack; such bodies are refused with a 400 before anything walks them.
 */

/**
 * Deepest nesting of objects and arrays accepted in a body. kube-apiserver's JSON decoder allows
 * 10,000; real objects stay far below 100 (the MetalLB CRDs, the deepest objects we serve, nest 19).
 */
export const MAX_DEPTH = 100;

/** Whether `value` nests objects/arrays more than `limit` levels deep (iterative: never overflows). */
export function exceedsDepth(value: unknown, limit = MAX_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > limit) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (typeof x === 'object' && x !== null) stack.push([x, d + 1]);
  }
  return false;
}
