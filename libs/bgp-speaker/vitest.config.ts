import { projectConfig } from '../../tools/vitest-project.js';
export default projectConfig({ int: { globalSetup: ['test/int/global-setup.ts'] } });
