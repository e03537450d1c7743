// Lint: TypeScript rules, nx module boundaries (by project tags) and the "no real time or
// randomness in libraries" rule. Run with `npm run lint`.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Calls that libraries must make through the `Clock`/`Rng` ports of `@metallb-ts/clock`. */
const clockRules = {
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'Use an injected Clock (setTimer) from @metallb-ts/clock.' },
    { name: 'setInterval', message: 'Use an injected Clock (setInterval) from @metallb-ts/clock.' },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: 'Use an injected Clock (now) from @metallb-ts/clock.' },
    { object: 'Math', property: 'random', message: 'Use an injected Rng from @metallb-ts/clock.' },
  ],
};

/** nx module boundaries by project tags (see CONTRIBUTING.md). */
const boundaries = {
  allow: [],
  banTransitiveDependencies: false,
  depConstraints: [
    { sourceTag: 'type:lib', notDependOnLibsWithTags: ['type:app'] },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling'] },
    {
      sourceTag: 'scope:protocol',
      onlyDependOnLibsWithTags: ['scope:shared', 'scope:protocol'],
      bannedExternalImports: ['@kubernetes/*', 'kubernetes-models', '@kubernetes-models/*'],
    },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'], bannedExternalImports: ['@kubernetes/*'] },
  ],
};

/** Second declarations of the label-selector types (use `@metallb-ts/labels`). */
const labelSelectorDeclarations = ['TSInterfaceDeclaration', 'TSTypeAliasDeclaration', 'ClassDeclaration'].map((node) => ({
  selector: `${node}[id.name=/^LabelSelector(Requirement)?$/]`,
  message: 'Declare no LabelSelector/LabelSelectorRequirement of your own: import them from @metallb-ts/labels (one model, one matcher).',
}));

/** Local copies of the exhaustiveness check (use `@metallb-ts/errors`). */
const assertNeverDeclarations = ['FunctionDeclaration', 'VariableDeclarator'].map((node) => ({
  selector: `${node}[id.name='assertNever']`,
  message: "Write no local assertNever: import { assertNever } from '@metallb-ts/errors'.",
}));

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', '**/build/**', '**/.cache/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { plugins: { '@nx': nx } },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      '@nx/enforce-module-boundaries': ['error', boundaries],
    },
  },
  // Protocol and shared libraries never see Kubernetes (belt and braces with the nx tags above,
  // which only know about packages in the project graph).
  {
    files: ['libs/{netaddr,clock,errors,labels,ipam,arp-responder,bgp-speaker,memberlist,election}/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@kubernetes/*', 'kubernetes-models', '@kubernetes-models/*'], message: 'Protocol libraries take no Kubernetes types; map them in the apps.' },
            { group: ['@metallb-ts/k8s-watch', '@metallb-ts/apiserver-lite', '@metallb-ts/config'], message: 'Protocol libraries must not depend on the Kubernetes-facing libraries.' },
            { group: ['**/apps/**', '@metallb-ts/controller', '@metallb-ts/speaker', '@metallb-ts/lab', '@metallb-ts/cli'], message: 'Libraries never import apps.' },
          ],
        },
      ],
    },
  },
  // Per-project vitest configs share tools/vitest-project.ts by relative path on purpose.
  { files: ['**/vitest.config.ts'], rules: { '@nx/enforce-module-boundaries': 'off' } },
  // Integration tests and benchmarks use the shared test lab (tools/test-lab, type:tooling).
  {
    files: ['libs/*/test/**/*.ts', 'apps/*/test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', { ...boundaries, allow: ['@metallb-ts/test-lab', '@metallb-ts/test-lab/vitest'] }] },
  },
  // One model per concept (issue 14): the label-selector types are declared only in libs/labels,
  // the exhaustiveness check only in libs/errors. Other code imports them.
  { files: ['**/*.ts'], ignores: ['libs/labels/src/**', 'libs/errors/src/**'], rules: { 'no-restricted-syntax': ['error', ...labelSelectorDeclarations, ...assertNeverDeclarations] } },
  { files: ['libs/labels/src/**/*.ts'], rules: { 'no-restricted-syntax': ['error', ...assertNeverDeclarations] } },
  { files: ['libs/errors/src/**/*.ts'], rules: { 'no-restricted-syntax': ['error', ...labelSelectorDeclarations] } },
  // Production code of libraries: time and randomness only through the ports.
  {
    files: ['libs/*/src/**/*.ts'],
    ignores: ['libs/*/src/**/*.spec.ts', 'libs/*/src/testing/**', 'libs/clock/src/system.ts'],
    rules: clockRules,
  },
];
