import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { DEFAULT_URL } from './config.js';

export const GLOBAL_OPTIONS = '[--url u] [--key k] [--json]';

/** `berth help`. */
export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.join(' ').length));
  const lines = COMMANDS.map((c) => `  ${c.name.join(' ').padEnd(width)}  ${c.summary}`);
  return `berth: the command line of Berth (workspaces for AI agents)

usage: berth <command> [options]      berth <command> --help

${lines.join('\n')}

every command: ${GLOBAL_OPTIONS}
  --url   Berth's URL; else $BERTH_URL, else ${DEFAULT_URL}
  --key   API key; else $BERTH_API_KEY, else the key \`npm start\` saved in $BERTH_STATE_DIR/api-key
          (default .berth/api-key under the current directory)
  --json  machine-readable output (one JSON document per line)

exit codes: 0 done, 1 Berth or the CLI failed, 2 bad usage; exec exits with the command's code
`;
}

/** One command's help. */
export function commandHelp(command: Command): string {
  return `usage: berth ${command.usage}\n       ${command.summary}\n`;
}
