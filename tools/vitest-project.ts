/**
 * Shared vitest configuration for every project in the workspace.
 *
 * Two tiers, chosen by vitest's `--mode`:
 * - default (`vitest run`): fast, pure unit tests, files `*.spec.ts` (never `*.int.spec.ts`).
 * - `--mode int` (`vitest run --mode int`): tests that need root, network namespaces, sockets or
 *   real peer daemons, files `*.int.spec.ts`. They run one file at a time with long timeouts.
 *
 * Both tiers write their counts to `<project>/.test-results/<tier>.json` through
 * {@link CountReporter}; `tools/run-tests.mjs` sums them into the suite's closing line.
 */
import { defineConfig, type ViteUserConfig } from 'vitest/config';
import CountReporter from './count-reporter.js';

export interface ProjectTestOptions {
  /** Extra settings merged into `test` for the unit tier. */
  unit?: NonNullable<ViteUserConfig['test']>;
  /** Extra settings merged into `test` for the integration tier. */
  int?: NonNullable<ViteUserConfig['test']>;
}

export function projectConfig(options: ProjectTestOptions = {}) {
  return defineConfig(({ mode }) => {
    const int = mode === 'int';
    const tier = int ? 'test-int' : 'test';
    return {
      resolve: { conditions: ['@metallb-ts/source'] },
      ssr: { resolve: { conditions: ['@metallb-ts/source'] } },
      test: {
        environment: 'node',
        include: int ? ['{src,test}/**/*.int.spec.ts'] : ['{src,test}/**/*.spec.ts'],
        exclude: int ? ['**/node_modules/**'] : ['**/node_modules/**', '**/*.int.spec.ts'],
        passWithNoTests: true,
        testTimeout: int ? 180_000 : 20_000,
        hookTimeout: int ? 600_000 : 20_000,
        fileParallelism: !int,
        reporters: ['default', new CountReporter(tier)],
        ...(int ? options.int : options.unit),
      },
    };
  });
}
