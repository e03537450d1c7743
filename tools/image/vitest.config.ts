import { projectConfig } from '../vitest-project.js';
export default projectConfig();
