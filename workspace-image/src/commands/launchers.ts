import type { AgentConfig } from '../config.js';
import type { Launcher } from './launcher.js';
import { nodeLauncher } from './node-launcher.js';
import { spawnerLauncher } from './spawner-launcher.js';

/** The launcher the configuration asks for: berth-spawner when its binary is there, else child_process. */
export function createLauncher(config: AgentConfig): Launcher {
  if (!config.spawnerPath) return nodeLauncher;
  return spawnerLauncher(config.spawnerPath, (reason) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'berth-spawner stopped', reason })}\n`),
  );
}
