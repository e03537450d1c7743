#!/usr/bin/env node
// The `metallb-peer` command. The sources are TypeScript run by Node's type stripping; their relative
// imports say `.js` (as tsc and vitest want), so this hook resolves `./x.js` to `./x.ts` when only
// the latter exists.
import * as nodeModule from 'node:module';

if (typeof nodeModule.registerHooks !== 'function') {
  process.stderr.write(`metallb-peer needs Node >= 22.18 (type stripping and module.registerHooks); this is ${process.version}. Run it as \`npx kube-lab\` inside the clone, which uses the workspace's Node 24.\n`);
  process.exit(2);
}

nodeModule.registerHooks({
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
