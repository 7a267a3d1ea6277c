import type { WorkspaceInfo } from '@berth/sdk';
import type { Context } from './command.js';

/** One JSON document on its own line: what `--json` prints. */
export async function printJson(ctx: Context, value: unknown): Promise<void> {
  await ctx.io.stdout.write(`${JSON.stringify(value)}\n`);
}

export async function println(ctx: Context, line: string): Promise<void> {
  await ctx.io.stdout.write(`${line}\n`);
}

/** Columns padded to their widest cell, two spaces apart, no trailing blanks. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** ISO time to the second, UTC: `2025-01-01T00:30:00Z`. */
export function shortTime(iso: string | null): string {
  if (!iso) return '-';
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** A workspace as `key  value` lines (`ws get`), or its JSON. */
export async function printWorkspace(ctx: Context, info: WorkspaceInfo): Promise<void> {
  if (ctx.json) return printJson(ctx, info);
  const labels = Object.entries(info.labels).map(([k, v]) => `${k}=${v}`);
  const rows = [
    ['id', info.id],
    ['conversation', info.conversationId],
    ['status', info.status],
    ['template', info.template],
    ['labels', labels.join(',') || '-'],
    ['created', shortTime(info.createdAt)],
    ['ready', shortTime(info.readyAt)],
    ['expires', shortTime(info.expiresAt)],
    ['last active', shortTime(info.lastActiveAt)],
    ['ended because', info.terminationReason ?? '-'],
    ['runtime', info.runtime],
  ];
  await println(ctx, table(rows));
}
