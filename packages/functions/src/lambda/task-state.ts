import { createTaskStateHandler } from '../handlers/task-state-handler.js';
import { awsDeps } from './aws-deps.js';

export const handler = createTaskStateHandler(awsDeps);
