import type { Route } from '../http/route.js';
import { agentRunRoutes } from './agent-runs.js';
import { commandRoutes } from './commands.js';
import { fileReadRoutes } from './files.js';

/**
 * The operations that may answer a stream (protocol: `answersStream`: SSE or bytes): the streaming API
 * function serves them (API Gateway's STREAM transfer mode), and carries only their code.
 */
export const streamedApiRoutes: readonly Route[] = [...commandRoutes, ...agentRunRoutes, ...fileReadRoutes];
