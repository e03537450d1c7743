/**
 * Keeping the last valid configuration: {@link ConfigTracker} runs the pipeline on each change
 * and only replaces its current `Config` when the new one is valid and different. The outcome is
 * a named value, so the component can set its metrics and ConfigurationState accordingly.
 */
import { buildConfig, type BuildOptions } from './build.js';
import { configsEqual } from './compare.js';
import type { Config } from './config.js';
import { ConfigErrors } from './errors.js';

/** What a reload did. */
export type ReloadOutcome =
  /** The new configuration is valid and differs: it is now current (reprocess services). */
  | { readonly kind: 'applied'; readonly config: Config; readonly previous: Config | undefined }
  /** The new configuration is valid and equal to the current one: nothing to do. */
  | { readonly kind: 'unchanged'; readonly config: Config }
  /** Invalid: the last valid configuration (if any) stays in force; wait for the next change. */
  | { readonly kind: 'rejected'; readonly errors: ConfigErrors; readonly kept: Config | undefined }
  /** Only transient problems (missing Secret, BFDProfile, alias, Node): keep the last config, retry later. */
  | { readonly kind: 'pending'; readonly errors: ConfigErrors; readonly kept: Config | undefined };

/** Holds the last valid configuration of one component. */
export class ConfigTracker {
  private last: Config | undefined;
  private staleFlag = false;

  constructor(private readonly options: BuildOptions = {}) {}

  /** The configuration in force, or undefined before the first valid one. */
  get current(): Config | undefined {
    return this.last;
  }

  /** True after a rejected or pending reload, until the next applied/unchanged one (MetalLB's `config_stale_bool`). */
  get stale(): boolean {
    return this.staleFlag;
  }

  /** Validates `objects` and updates the current configuration when appropriate. */
  reload(objects: readonly unknown[]): ReloadOutcome {
    const r = buildConfig(objects, this.options);
    if (r instanceof ConfigErrors) {
      this.staleFlag = true;
      return { kind: r.transient ? 'pending' : 'rejected', errors: r, kept: this.last };
    }
    this.staleFlag = false;
    if (this.last && configsEqual(this.last, r)) return { kind: 'unchanged', config: this.last };
    const previous = this.last;
    this.last = r;
    return { kind: 'applied', config: r, previous };
  }
}
