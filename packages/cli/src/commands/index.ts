import type { Command } from '../command.js';
import { agent } from './agent.js';
import { cp } from './cp.js';
import { exec } from './exec.js';
import { health } from './health.js';
import { localUp } from './local-up.js';
import { pool } from './pool.js';
import { wsCreate } from './ws-create.js';
import { wsGet } from './ws-get.js';
import { wsKeepalive } from './ws-keepalive.js';
import { wsLs } from './ws-ls.js';
import { wsPause } from './ws-pause.js';
import { wsResume } from './ws-resume.js';
import { wsRm } from './ws-rm.js';

/** In the order `berth help` lists them. */
export const COMMANDS: Command[] = [
  wsCreate,
  wsLs,
  wsGet,
  wsRm,
  wsKeepalive,
  wsPause,
  wsResume,
  exec,
  cp,
  agent,
  pool,
  health,
  localUp,
];
