/**
 * A vitest reporter that counts passed, failed and skipped tests, prints
 * `N passed, N failed, N skipped` and records the counts in `.test-results/<tier>.json`
 * of the project being tested, for `tools/run-tests.mjs` to sum.
 *
 * A test file that fails to load, or an unhandled error, counts as one failure: a suite
 * that cannot run must never look green.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export interface TierCounts {
  project: string;
  tier: string;
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}

export default class CountReporter implements Reporter {
  constructor(private readonly tier: string) {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    const counts: TierCounts = {
      project: process.cwd(),
      tier: this.tier,
      passed: 0,
      failed: 0,
      skipped: 0,
      failures: [],
    };
    for (const m of modules) {
      let tests = 0;
      for (const t of m.children.allTests()) {
        tests++;
        const s = t.result().state;
        if (s === 'passed') counts.passed++;
        else if (s === 'failed') {
          counts.failed++;
          counts.failures.push(`${m.moduleId}: ${t.fullName}`);
        } else counts.skipped++;
      }
      if (tests === 0 && m.state() === 'failed') {
        counts.failed++;
        counts.failures.push(`${m.moduleId}: file failed to load`);
      }
    }
    for (const e of errors) {
      counts.failed++;
      counts.failures.push(`unhandled error: ${String((e as Error)?.message ?? e)}`);
    }
    const dir = join(process.cwd(), '.test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${this.tier}.json`), JSON.stringify(counts, null, 2));
    process.stdout.write(`\n[${this.tier}] passed=${counts.passed} failed=${counts.failed} skipped=${counts.skipped}\n`);
  }
}
