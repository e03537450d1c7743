/**
 * A set of free offsets in `[0, size)`, stored as maximal runs of free offsets (intervals) in an
 * AVL tree keyed by run start. Offsets are `bigint`s so one structure serves a /30 and an IPv6 /48
 * alike; memory is proportional to fragmentation (number of runs), never to the pool size.
 *
 * Every operation is O(log r) where r is the number of free runs (r ≤ used + 1).
 */

interface Run {
  /** First free offset of the run. Mutated in place only when the order of runs is preserved. */
  start: bigint;
  /** Last free offset of the run (inclusive). */
  end: bigint;
  left: Run | null;
  right: Run | null;
  height: number;
}

const h = (n: Run | null): number => (n === null ? 0 : n.height);

function fix(n: Run): void {
  const a = h(n.left);
  const b = h(n.right);
  n.height = (a > b ? a : b) + 1;
}

function rotateRight(n: Run): Run {
  const l = n.left!;
  n.left = l.right;
  l.right = n;
  fix(n);
  fix(l);
  return l;
}

function rotateLeft(n: Run): Run {
  const r = n.right!;
  n.right = r.left;
  r.left = n;
  fix(n);
  fix(r);
  return r;
}

function balance(n: Run): Run {
  fix(n);
  const bf = h(n.left) - h(n.right);
  if (bf > 1) {
    if (h(n.left!.left) < h(n.left!.right)) n.left = rotateLeft(n.left!);
    return rotateRight(n);
  }
  if (bf < -1) {
    if (h(n.right!.right) < h(n.right!.left)) n.right = rotateRight(n.right!);
    return rotateLeft(n);
  }
  return n;
}

function insert(n: Run | null, run: Run): Run {
  if (n === null) return run;
  if (run.start < n.start) n.left = insert(n.left, run);
  else n.right = insert(n.right, run);
  return balance(n);
}

function removeMin(n: Run): Run | null {
  if (n.left === null) return n.right;
  n.left = removeMin(n.left);
  return balance(n);
}

function remove(n: Run | null, start: bigint): Run | null {
  if (n === null) return null;
  if (start < n.start) n.left = remove(n.left, start);
  else if (start > n.start) n.right = remove(n.right, start);
  else {
    if (n.left === null) return n.right;
    if (n.right === null) return n.left;
    let m = n.right;
    while (m.left !== null) m = m.left;
    m.right = removeMin(n.right);
    m.left = n.left;
    return balance(m);
  }
  return balance(n);
}

function newRun(start: bigint, end: bigint): Run {
  return { start, end, left: null, right: null, height: 1 };
}

/** Builds a perfectly balanced tree from runs sorted by start. */
function build(runs: readonly (readonly [bigint, bigint])[], lo: number, hi: number): Run | null {
  if (lo > hi) return null;
  const mid = (lo + hi) >>> 1;
  const [s, e] = runs[mid]!;
  const n = newRun(s, e);
  n.left = build(runs, lo, mid - 1);
  n.right = build(runs, mid + 1, hi);
  fix(n);
  return n;
}

/**
 * Free offsets of one address space (a pool's IPv4 or IPv6 addresses, laid end to end in
 * `spec.addresses` order). `first()` is the lowest free offset, i.e. the address MetalLB's walk
 * from the start of the pool would reach first.
 */
export class FreeSet {
  private root: Run | null = null;
  private runs = 0;

  /** A set where every offset in `[0, size)` is free. */
  constructor(
    /** Number of offsets in the space (`[0, size)`). */
    readonly size: bigint,
  ) {
    if (size > 0n) {
      this.root = newRun(0n, size - 1n);
      this.runs = 1;
    }
  }

  /**
   * A set of `size` offsets where exactly `used` (any order, duplicates allowed) are taken.
   * O(u log u) for the sort, then O(u) to build; used when rebuilding state in bulk.
   */
  static withUsed(size: bigint, used: readonly bigint[]): FreeSet {
    const s = new FreeSet(0n);
    (s as { size: bigint }).size = size;
    const sorted = [...used].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const runs: [bigint, bigint][] = [];
    let next = 0n;
    for (const u of sorted) {
      if (u < next || u >= size) continue;
      if (u > next) runs.push([next, u - 1n]);
      next = u + 1n;
    }
    if (next < size) runs.push([next, size - 1n]);
    s.root = build(runs, 0, runs.length - 1);
    s.runs = runs.length;
    return s;
  }

  /** Number of maximal free runs (a measure of fragmentation). */
  get runCount(): number {
    return this.runs;
  }

  /** The lowest free offset, or `undefined` when everything is taken. */
  first(): bigint | undefined {
    let n = this.root;
    if (n === null) return undefined;
    while (n.left !== null) n = n.left;
    return n.start;
  }

  /** The run with the greatest start ≤ x. */
  private floor(x: bigint): Run | null {
    let n = this.root;
    let best: Run | null = null;
    while (n !== null) {
      if (n.start <= x) {
        best = n;
        n = n.right;
      } else n = n.left;
    }
    return best;
  }

  /** The run with the smallest start > x. */
  private above(x: bigint): Run | null {
    let n = this.root;
    let best: Run | null = null;
    while (n !== null) {
      if (n.start > x) {
        best = n;
        n = n.left;
      } else n = n.right;
    }
    return best;
  }

  /** True when `x` is inside the space and free. */
  has(x: bigint): boolean {
    const f = this.floor(x);
    return f !== null && x <= f.end;
  }

  /** The lowest free offset ≥ x, or `undefined`. */
  firstAtOrAfter(x: bigint): bigint | undefined {
    const f = this.floor(x);
    if (f !== null && x <= f.end) return x;
    return this.above(x)?.start;
  }

  /** Marks `x` used. Returns false (and changes nothing) when it was not free. */
  take(x: bigint): boolean {
    const f = this.floor(x);
    if (f === null || x > f.end) return false;
    if (f.start === f.end) {
      this.root = remove(this.root, f.start);
      this.runs--;
    } else if (x === f.start) {
      f.start = x + 1n; // still below the next run's start: order kept
    } else if (x === f.end) {
      f.end = x - 1n;
    } else {
      const tail = newRun(x + 1n, f.end);
      f.end = x - 1n;
      this.root = insert(this.root, tail);
      this.runs++;
    }
    return true;
  }

  /** Marks `x` free again. Returns false (and changes nothing) when it was already free or out of range. */
  give(x: bigint): boolean {
    if (x < 0n || x >= this.size) return false;
    const p = this.floor(x);
    if (p !== null && x <= p.end) return false;
    const s = this.above(x);
    const joinLeft = p !== null && p.end + 1n === x;
    const joinRight = s !== null && s.start === x + 1n;
    if (joinLeft && joinRight) {
      const end = s.end;
      this.root = remove(this.root, s.start);
      p.end = end;
      this.runs--;
    } else if (joinLeft) {
      p.end = x;
    } else if (joinRight) {
      s.start = x; // still above the previous run's end + 1: order kept
    } else {
      this.root = insert(this.root, newRun(x, x));
      this.runs++;
    }
    return true;
  }

  /** The free runs in order, as `[start, end]` pairs (for tests and diagnostics). */
  *intervals(): IterableIterator<[bigint, bigint]> {
    const stack: Run[] = [];
    let n = this.root;
    while (n !== null || stack.length > 0) {
      while (n !== null) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop()!;
      yield [top.start, top.end];
      n = top.right;
    }
  }

  /** Height of the tree (for balance tests). */
  get height(): number {
    return h(this.root);
  }
}
