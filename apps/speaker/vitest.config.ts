import { projectConfig } from '../../tools/vitest-project.js';
export default projectConfig();
