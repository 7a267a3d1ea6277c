import { parseArgs } from 'node:util';
import { Berth, BerthApiError, BerthConnectionError } from '@berth/sdk';
import type { Command, Context, OptionSpecs, Values } from './command.js';
import { COMMANDS } from './commands/index.js';
import { requireKey, resolveConfig } from './config.js';
import { CliError, Interrupted, UsageError } from './errors.js';
import type { Io, Sink } from './io.js';
import { commandHelp, helpText } from './usage.js';

const GLOBALS: OptionSpecs = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const FAILED = 1;
const USAGE = 2;
/** A shell's status for Ctrl-C (128 + SIGINT). */
const INTERRUPTED = 130;

/** `berth <argv...>`: runs one command and answers the process's exit code. Never throws. */
export async function main(argv: string[], io: Io): Promise<number> {
  const { lead, words } = splitLead(argv);
  const found = find(words);
  if (!found) return noCommand(io, words, lead);
  const { command, consumed } = found;
  let url: string | undefined;
  try {
    const { values, positionals, afterDashDash } = parse(command, [...lead, ...words.slice(consumed)]);
    if (values.help) return await print(io.stdout, commandHelp(command), 0);
    const config = resolveConfig({ url: str(values.url), key: str(values.key) }, io.env, io.cwd);
    url = config.url;
    let client: Berth | undefined;
    const ctx: Context = {
      io,
      json: values.json === true,
      values,
      positionals,
      afterDashDash,
      berth: () =>
        (client ??= new Berth({
          baseUrl: config.url,
          // Keyless calls (health) still need a non-empty key for the client; Berth does not read it.
          apiKey: command.needsKey === false ? (config.key ?? 'none') : requireKey(config),
        })),
    };
    return await command.run(ctx);
  } catch (e) {
    return report(io, e, command, url);
  }
}

/** Global flags before the command (`berth --json ws ls`) are taken along to the command's own parse. */
function splitLead(argv: string[]): { lead: string[]; words: string[] } {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--') {
    const flag = argv[i++]!;
    if ((flag === '--url' || flag === '--key') && i < argv.length) i++; // its value
  }
  return { lead: argv.slice(0, i), words: argv.slice(i) };
}

/** The command whose name (or alias) the first words spell, longest first: `ws create`, then `exec`. */
function find(words: string[]): { command: Command; consumed: number } | undefined {
  for (const n of [2, 1]) {
    if (words.length < n) continue;
    const key = words.slice(0, n).join(' ');
    const command = COMMANDS.find((c) =>
      [c.name, ...(c.aliases ?? [])].some((name) => name.join(' ') === key),
    );
    if (command) return { command, consumed: n };
  }
  return undefined;
}

function parse(command: Command, args: string[]) {
  // `--` ends our options; for exec what follows is the command line, untouched.
  const dash = args.indexOf('--');
  const before = dash === -1 ? args : args.slice(0, dash);
  const after = dash === -1 ? undefined : args.slice(dash + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: before, options: { ...GLOBALS, ...command.options }, allowPositionals: true });
  } catch (e) {
    // parseArgs's messages are clear ("Unknown option '--x'..."): shown as usage errors.
    throw new UsageError((e as Error).message.split(/\.(?:\s|$)/)[0]!);
  }
  const values = parsed.values as Values;
  if (command.commandLine) return { values, positionals: parsed.positionals, afterDashDash: after };
  return { values, positionals: [...parsed.positionals, ...(after ?? [])], afterDashDash: undefined };
}

/** `berth`, `berth help`, `berth --help`, or words that name no command. */
async function noCommand(io: Io, words: string[], lead: string[]): Promise<number> {
  const asked =
    words[0] === 'help' || (words.length === 0 && (lead.includes('--help') || lead.includes('-h')));
  if (asked) return print(io.stdout, helpText(), 0);
  const what = words.length ? `unknown command "${words.slice(0, 2).join(' ')}"` : 'missing command';
  return print(io.stderr, `berth: ${what}\n\n${helpText()}`, USAGE);
}

/** Any failure as one line on stderr, and its exit status. */
async function report(io: Io, e: unknown, command: Command, url: string | undefined): Promise<number> {
  if (e instanceof UsageError)
    return print(
      io.stderr,
      `berth: ${e.message}\n${commandHelp(command)}run \`berth help\` for more\n`,
      USAGE,
    );
  if (e instanceof Interrupted) return print(io.stderr, 'berth: interrupted\n', INTERRUPTED);
  if (e instanceof BerthApiError) {
    const request = e.requestId ? ` (request ${e.requestId})` : '';
    // A refusal that says when to come back (quota, capacity, a conflict in flight): say it too.
    const later = e.retryAfterSeconds !== undefined ? `; retry after ${e.retryAfterSeconds} s` : '';
    return print(io.stderr, `berth: ${e.code}: ${e.message}${later}${request}\n`, FAILED);
  }
  if (e instanceof BerthConnectionError)
    return print(io.stderr, `berth: ${url ?? 'Berth'}: ${withCause(e)}\n`, FAILED);
  if (e instanceof CliError || e instanceof Error) return print(io.stderr, `berth: ${e.message}\n`, FAILED);
  return print(io.stderr, `berth: ${String(e)}\n`, FAILED);
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED...) at the bottom of its causes. */
function withCause(e: Error): string {
  let root: unknown = e;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  const reason = root instanceof Error ? root.message : '';
  return reason && !e.message.includes(reason) ? `${e.message}: ${reason}` : e.message;
}

async function print(sink: Sink, text: string, status: number): Promise<number> {
  await sink.write(text);
  return status;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
