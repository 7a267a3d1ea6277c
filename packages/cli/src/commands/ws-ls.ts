import type { WorkspaceInfo, WorkspaceStatus } from '@berth/sdk';
import { exactly, str } from '../args.js';
import type { Command } from '../command.js';
import { printJson, println, shortTime, table } from '../output.js';

export const wsLs: Command = {
  name: ['ws', 'ls'],
  aliases: [['ws', 'list']],
  usage: 'ws ls [--status s] [--label k:v]',
  summary: 'your workspaces (every page): id, conversation, status, expiry',
  options: {
    status: { type: 'string' },
    label: { type: 'string' },
  },
  async run(ctx) {
    exactly(ctx.positionals, []);
    const status = str(ctx.values, 'status') as WorkspaceStatus | undefined;
    const label = str(ctx.values, 'label');
    const all: WorkspaceInfo[] = [];
    // Bad filters are the server's to judge (400 invalid_request names the problem).
    for await (const ws of ctx.berth().workspaces.list({ status, label, limit: 100 })) all.push(ws.info);
    if (ctx.json) return printJson(ctx, all).then(() => 0);
    const rows = all.map((w) => [w.id, w.conversationId, w.status, shortTime(w.expiresAt)]);
    await println(ctx, table([['ID', 'CONVERSATION', 'STATUS', 'EXPIRES'], ...rows]));
    return 0;
  },
};
