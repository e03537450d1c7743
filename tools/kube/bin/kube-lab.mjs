#!/usr/bin/env node
// The `kube-lab` command. The sources are TypeScript run by Node's type stripping; their relative
// imports say `.js` (as tsc and vitest want), so this hook resolves `./x.js` to `./x.ts` when only
// the latter exists.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (/^\.{1,2}\//.test(specifier) && specifier.endsWith('.js')) return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      throw err;
    }
  },
});

const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
