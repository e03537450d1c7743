import { projectConfig } from './vitest-project.js';
// tools/test-lab is its own project (its own vitest.config.ts): never run its specs here too.
export default projectConfig({ unit: { testTimeout: 120_000, exclude: ['**/node_modules/**', '**/*.int.spec.ts', 'test-lab/**'] }, int: { exclude: ['**/node_modules/**', 'test-lab/**'] } });
