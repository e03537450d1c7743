import { projectConfig } from './vitest-project.js';
export default projectConfig({ unit: { testTimeout: 120_000 } });
