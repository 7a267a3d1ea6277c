import { createApiHandler } from '../handlers/api-handler.js';
import { awsDeps } from './aws-deps.js';

/** The same API on a Lambda function URL with response streaming: SSE (exec/stream, execute) flows live. */
export const handler = createApiHandler(awsDeps, { streaming: true });
