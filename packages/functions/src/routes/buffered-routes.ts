import type { Route } from '../http/route.js';
import { egressRoutes } from './egress.js';
import { fileTransferRoutes } from './file-transfers.js';
import { fileWriteRoutes } from './files.js';
import { serviceRoutes } from './service.js';
import { workspaceRoutes } from './workspaces.js';

/**
 * The operations whose every answer is JSON (protocol: not `answersStream`): the buffered API function
 * serves them, and carries only their code (streamed-routes.ts has the rest; a test checks the split).
 */
export const bufferedApiRoutes: readonly Route[] = [
  ...serviceRoutes,
  ...workspaceRoutes,
  ...fileWriteRoutes,
  ...fileTransferRoutes,
  ...egressRoutes,
];
