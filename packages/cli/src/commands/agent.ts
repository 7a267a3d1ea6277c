import type { AgentEvent } from '@berth/sdk';
import { int, str, strings } from '../args.js';
import type { Command, Context } from '../command.js';
import { UsageError } from '../errors.js';
import { interruptible } from '../interrupt.js';
import { printJson } from '../output.js';

/** Tool inputs are shown on one line, cut to this many characters. */
const NOTE_WIDTH = 100;

export const agent: Command = {
  name: ['agent'],
  usage: 'agent <id> <prompt...> [--session s] [--max-turns n] [--allow Tool ...] [--model m]',
  summary: 'run the coding agent in the workspace: its text on stdout, tool/file notes on stderr',
  options: {
    session: { type: 'string' },
    'max-turns': { type: 'string' },
    allow: { type: 'string', multiple: true },
    model: { type: 'string' },
  },
  async run(ctx) {
    const [id, ...words] = [...ctx.positionals];
    const prompt = words.join(' ');
    if (!id) throw new UsageError('missing <id>');
    if (!prompt) throw new UsageError('missing <prompt>');
    const sessionId = str(ctx.values, 'session');
    const maxTurns = int(ctx.values, 'max-turns');
    const allowedTools = strings(ctx.values, 'allow');
    const model = str(ctx.values, 'model');
    const ws = ctx.berth().workspaces.handle(id);
    return interruptible(ctx.io, async (signal) => {
      const run = ws.agent.run(
        {
          prompt,
          ...(sessionId === undefined ? {} : { sessionId }),
          ...(maxTurns === undefined ? {} : { maxTurns }),
          ...(allowedTools.length ? { allowedTools } : {}),
          ...(model === undefined ? {} : { model }),
        },
        { signal },
      );
      for await (const e of run) {
        if (ctx.json) await printJson(ctx, e);
        else await show(ctx, e);
        if (e.event === 'result') return e.data.subtype === 'success' && e.data.is_error !== true ? 0 : 1;
        if (e.event === 'error') return 1;
      }
      return 1; // not reached: the run throws when it ends without `result` or `error`
    });
  },
};

/** Text goes to stdout (so `> answer.md` keeps just the answer); everything about the run to stderr. */
async function show(ctx: Context, e: AgentEvent): Promise<void> {
  const note = (line: string) => ctx.io.stderr.write(`${line}\n`);
  switch (e.event) {
    case 'message':
      // The SDK's assistant messages carry the model's text blocks and tool calls.
      if (e.data.type !== 'assistant') return;
      for (const block of contentBlocks(e.data)) {
        if (block.type === 'text' && typeof block.text === 'string')
          await ctx.io.stdout.write(`${block.text}\n`);
        if (block.type === 'tool_use') await note(`[tool] ${String(block.name)} ${oneLine(block.input)}`);
      }
      return;
    case 'files_changed': {
      const parts = [];
      if (e.data.changed.length) parts.push(`changed ${e.data.changed.join(', ')}`);
      if (e.data.deleted.length) parts.push(`deleted ${e.data.deleted.join(', ')}`);
      await note(`[files] ${parts.join('; ')}`);
      return;
    }
    case 'result': {
      const d = e.data;
      await note(
        `[result] ${String(d.subtype)}, ${String(d.num_turns)} turns, session ${String(d.session_id)}`,
      );
      return;
    }
    case 'error':
      await note(`berth: ${e.data.code}: ${e.data.message}`);
  }
}

type Block = Record<string, unknown>;

function contentBlocks(message: Record<string, unknown>): Block[] {
  const content = (message.message as { content?: unknown } | undefined)?.content;
  return Array.isArray(content) ? content.filter((b): b is Block => typeof b === 'object' && b !== null) : [];
}

/** The input's telling field (a command, a path) or its JSON, on one short line. */
function oneLine(input: unknown): string {
  const fields = (input ?? {}) as Record<string, unknown>;
  const telling = fields.command ?? fields.file_path ?? fields.path ?? fields.pattern ?? fields.url;
  const text = (typeof telling === 'string' ? telling : JSON.stringify(input ?? {})).replace(/\s+/g, ' ');
  return text.length > NOTE_WIDTH ? `${text.slice(0, NOTE_WIDTH - 1)}…` : text;
}
