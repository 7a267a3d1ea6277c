import type { RouteHandler } from './context.js';
import { handleExec, handleExecBinary, handleExecStream } from './exec/exec-routes.js';
import { handleExecute } from './execute/execute-route.js';
import {
  handleChanges,
  handleDeleteFile,
  handleGetArchive,
  handleGetManifest,
  handlePutArchive,
  handleReadFile,
  handleWriteFile,
} from './files/file-routes.js';

export { ChangeLog } from './files/change-log.js';
export { createLauncher } from './exec/launchers.js';

/** Authenticated routes: path → method → handler. Loaded after the server listens (see server.ts). */
export const ROUTES: Record<string, Record<string, RouteHandler>> = {
  '/exec': { POST: handleExec },
  '/exec/stream': { POST: handleExecStream },
  '/exec/binary': { POST: handleExecBinary },
  '/execute': { POST: handleExecute },
  '/files': { GET: handleReadFile, PUT: handleWriteFile, DELETE: handleDeleteFile },
  '/files/archive': { GET: handleGetArchive, PUT: handlePutArchive },
  '/files/manifest': { GET: handleGetManifest },
  '/files/changes': { GET: handleChanges },
};
