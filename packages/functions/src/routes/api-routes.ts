import { routeLookup } from '../http/middy-router.js';
import type { Route } from '../http/route.js';
import { egressRoutes } from './egress.js';
import { commandRoutes } from './commands.js';
import { agentRunRoutes } from './agent-runs.js';
import { fileRoutes } from './files.js';
import { fileTransferRoutes } from './file-transfers.js';
import { openapiRoutes } from './openapi.js';
import { serviceRoutes } from './service.js';
import { workspaceRoutes } from './workspaces.js';

/**
 * The public HTTP API (API.md), one table: the API handler routes with it (middy http-router) and the local
 * host asks it which routes stream. A new route is one more entry here (see docs/lambda-router.md).
 */
export const apiRoutes: readonly Route[] = [
  ...serviceRoutes,
  ...openapiRoutes,
  ...workspaceRoutes,
  ...commandRoutes,
  ...agentRunRoutes,
  ...fileRoutes,
  ...fileTransferRoutes,
  ...egressRoutes,
];

/** The route of `method path` in the API table, if any (trailing slash optional, as the router does). */
export const findApiRoute = routeLookup(apiRoutes);
