import type { RouteHandler } from './context.js';
import { handleCommand, handleBinaryCommand, handleCommandStream } from './commands/command-routes.js';
import { handleAgentRun } from './agent-runs/agent-run-route.js';
import {
  handleCommandEvents,
  handleCommandStdin,
  handleKillCommand,
  handleListCommands,
  handleStartCommand,
} from './commands/background-routes.js';
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
export { createLauncher } from './commands/launchers.js';
export { CommandRegistry } from './commands/command-registry.js';

/** Authenticated routes: path → method → handler. Loaded after the server listens (see server.ts). */
export const ROUTES: Record<string, Record<string, RouteHandler>> = {
  '/exec': { POST: handleCommand },
  '/exec/stream': { POST: handleCommandStream },
  '/exec/binary': { POST: handleBinaryCommand },
  '/commands': { POST: handleStartCommand, GET: handleListCommands },
  '/commands/events': { GET: handleCommandEvents },
  '/commands/stdin': { POST: handleCommandStdin },
  '/commands/kill': { POST: handleKillCommand },
  '/execute': { POST: handleAgentRun },
  '/files': { GET: handleReadFile, PUT: handleWriteFile, DELETE: handleDeleteFile },
  '/files/archive': { GET: handleGetArchive, PUT: handlePutArchive },
  '/files/manifest': { GET: handleGetManifest },
  '/files/changes': { GET: handleChanges },
};
