import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentConfig } from './config.js';
import type { CommandRegistry } from './commands/command-registry.js';
import type { Launcher } from './commands/launcher.js';
import type { ChangeLog } from './files/change-log.js';
import type { WorkspaceRoot } from './files/safe-path.js';

/** What a route handler gets: the exchange plus the agent's long-lived state. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  config: AgentConfig;
  ws: WorkspaceRoot;
  changes: ChangeLog;
  /** Starts commands (exec/launchers.ts). */
  launch: Launcher;
  /** The commands that outlive their connection (commands/command-registry.ts). */
  commands: CommandRegistry;
}

export type RouteHandler = (ctx: RequestContext) => Promise<void>;
