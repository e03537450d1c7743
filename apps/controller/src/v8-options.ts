/**
 * V8 options of the controller, set by the bundle itself before anything else runs (`main.ts`
 * imports this module first), so every way of starting it — the image, the lab, a plain
 * `node main.mjs` — gets them without a manifest change.
 *
 * `--optimize-for-size` (issue 20, measured in docs/benchmarks.md "Footprint"): V8 grows the heap
 * less eagerly and gives memory back after GC. At 10,000 Services the idle controller's RSS went
 * from 176 MiB to 93–96 MiB with the same code and the same live heap (~23 MiB); start-up to ready
 * and idle CPU were unchanged within noise. V8 reads this flag when it decides, so setting it at run
 * time works (measured: 96 MiB set here, 93 MiB on the command line).
 *
 * An operator's own choice wins: with `--optimize-for-size` or `--no-optimize-for-size` on the
 * node command line, or `METALLB_TS_OPTIMIZE_FOR_SIZE=false` in the environment (Node refuses V8
 * heap flags in `NODE_OPTIONS`, so a manifest turns it off through that variable), nothing is set.
 */
import { setFlagsFromString } from 'node:v8';

/** The flags this module sets. */
export const CONTROLLER_V8_FLAGS = ['--optimize-for-size'] as const;

/** The flags to set given the process's node command line and environment (pure; the operator's choice wins). */
export function v8FlagsToSet(execArgv: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  const off = (env.METALLB_TS_OPTIMIZE_FOR_SIZE ?? '').trim().toLowerCase();
  if (off === 'false' || off === '0' || off === 'no') return [];
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].map((a) => a.replace(/_/g, '-'));
  return CONTROLLER_V8_FLAGS.filter((f) => {
    const name = f.slice(2);
    return !given.some((a) => a === `--${name}` || a === `--no-${name}` || a.startsWith(`--${name}=`));
  });
}

for (const f of v8FlagsToSet(process.execArgv, process.env)) setFlagsFromString(f);
