/**
 * V8 options a metallb-ts binary sets on itself, first thing (its `src/v8-options.ts`, imported
 * first by its `main.ts`, calls {@link applyV8Options}), so every way of starting it — the image,
 * the lab, a plain `node main.mjs` — gets them without a manifest change.
 *
 * `--optimize-for-size` (issue 20, docs/benchmarks.md "Footprint"): V8 grows the heap less eagerly
 * and gives memory back after GC. The controller at 10,000 Services went from 176 MiB RSS to
 * 93–96 MiB with the same live heap; the speaker at 1,000 Services from 235–250 MiB to 95–98 MiB.
 * V8 reads this flag each time it decides, so setting it at run time works (measured in the
 * controller: 96 MiB set at run time, 93 MiB on the command line).
 *
 * An operator's own choice wins: with `--optimize-for-size` or `--no-optimize-for-size` (either
 * spelling, `-` or `_`) on the node command line, or `METALLB_TS_OPTIMIZE_FOR_SIZE=false` (or `0`,
 * `no`) in the environment, nothing is set. Node refuses V8 heap flags in `NODE_OPTIONS`, so a
 * manifest turns it off through that variable.
 */
import { setFlagsFromString } from 'node:v8';

/** The flags {@link applyV8Options} sets unless the operator chose. */
export const V8_SIZE_FLAGS = ['--optimize-for-size'] as const;

/** The environment variable that turns {@link V8_SIZE_FLAGS} off (`false`, `0` or `no`). */
export const OPTIMIZE_FOR_SIZE_ENV = 'METALLB_TS_OPTIMIZE_FOR_SIZE';

/** Values of {@link OPTIMIZE_FOR_SIZE_ENV} that turn the flags off (trimmed, case-insensitive). */
const OFF = new Set(['false', '0', 'no']);

/**
 * The flags to set given the process's node command line and environment (pure; the operator's
 * choice wins): {@link V8_SIZE_FLAGS} minus any the command line or `NODE_OPTIONS` names in either
 * sense, none at all when {@link OPTIMIZE_FOR_SIZE_ENV} says off.
 */
export function v8FlagsToSet(execArgv: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  if (OFF.has((env[OPTIMIZE_FOR_SIZE_ENV] ?? '').trim().toLowerCase())) return [];
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].map((a) => a.replace(/_/g, '-'));
  return V8_SIZE_FLAGS.filter((f) => {
    const name = f.slice(2);
    return !given.some((a) => a === `--${name}` || a === `--no-${name}` || a.startsWith(`--${name}=`));
  });
}

/** Where {@link applyV8Options} reads the operator's choice and how it sets a flag. */
export interface V8OptionsIo {
  /** @default process.execArgv */
  execArgv?: readonly string[];
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default v8.setFlagsFromString */
  setFlags?: (flag: string) => void;
}

/** Sets the flags {@link v8FlagsToSet} chooses and returns them. */
export function applyV8Options(io: V8OptionsIo = {}): string[] {
  const flags = v8FlagsToSet(io.execArgv ?? process.execArgv, io.env ?? process.env);
  const set = io.setFlags ?? setFlagsFromString;
  for (const f of flags) set(f);
  return flags;
}
