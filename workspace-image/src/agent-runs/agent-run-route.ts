import type { ServerResponse } from 'node:http';
import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import type { RequestContext } from '../context.js';
import { commandEnded, commandStarted } from '../commands/activity.js';
import { SseWriter } from '../commands/sse.js';
import { ChangeLog } from '../files/change-log.js';
import { readJsonObject } from '../http-io.js';
import {
  WORKSPACE_AGENT_ENV,
  type AgentRunErrorEventData,
  type AgentRunEvent,
  type FilesChangedEventData,
} from '@berth/protocol';
import { claudeOptions } from './claude-options.js';
import { parseAgentRunRequest } from './agent-run-request.js';

const NO_MODEL_ACCESS =
  `no model access is configured for this workspace (${WORKSPACE_AGENT_ENV.anthropicBaseUrl} or ` +
  `${WORKSPACE_AGENT_ENV.bedrockRegion}): locally, start Berth with BERTH_ANTHROPIC_API_KEY or ` +
  'BERTH_BEDROCK_REGION set: the egress proxy adds the key or the AWS signature to the agent’s requests';

/** Bytes of the CLI's stderr kept for the error message of a failed run. */
const STDERR_TAIL = 4096;
const MAX_ERROR_MESSAGE = 2000;

/**
 * POST /execute: one run of the Claude Agent SDK in the workspace, streamed as SSE (AgentRunEvent).
 * Validation errors are plain JSON answers; once the stream is open every outcome is an event, so nothing
 * here throws after the headers went out.
 */
export async function handleAgentRun(ctx: RequestContext): Promise<void> {
  const request = parseAgentRunRequest(await readJsonObject(ctx.req));
  const abortController = new AbortController();
  ctx.res.on('close', () => {
    if (!ctx.res.writableFinished) abortController.abort(); // the client went away: stop the agent
  });
  let stderr = '';
  const options = claudeOptions(ctx.config, ctx.ws.realRoot, request, {
    abortController,
    stderr: (data) => {
      stderr = (stderr + data).slice(-STDERR_TAIL);
    },
  });

  const sse = new SseWriter(ctx.res);
  const send = (e: AgentRunEvent) => sendPaced(ctx.res, sse, e.event, e.data);
  if (!ctx.config.anthropicBaseUrl && !ctx.config.bedrock) {
    // No way to the model was configured (the egress proxy adds the key or signs for these): the SDK would
    // retry for minutes against a closed door. Say so at once.
    await send({ event: 'error', data: { code: 'agent_error', message: NO_MODEL_ACCESS } });
    sse.end();
    return;
  }
  // Counted like a command in /health's runningCommands (informational: the control plane follows the run itself).
  commandStarted();
  try {
    // A ChangeLog of its own: the shared one keeps snapshots for only its last few cursors, and a run's
    // walks (one per tool result) would push out those of the control plane's /files/changes cursor.
    const changes = new ChangeLog(ctx.ws);
    let cursor = (await changes.since(undefined)).cursor;
    // Imported on first use: the SDK is large and the agent must start listening fast.
    const { query } = await import('@anthropic-ai/claude-agent-sdk');
    let finished = false;
    for await (const m of query({ prompt: request.prompt, options })) {
      if (ctx.res.destroyed) break;
      if (m.type === 'result') {
        await send({ event: 'result', data: asRecord(m) });
        finished = true;
        break; // ends the iteration, which closes the CLI
      }
      await send({ event: 'message', data: asRecord(m) });
      if (hasToolResult(m)) {
        const since = await changes.since(cursor);
        cursor = since.cursor;
        const files: FilesChangedEventData = {
          changed: since.changed,
          deleted: since.deletedKnown ? since.deleted : [],
        };
        if (files.changed.length > 0 || files.deleted.length > 0) {
          await send({ event: 'files_changed', data: files });
        }
      }
    }
    if (!finished && !abortController.signal.aborted) {
      await send({ event: 'error', data: failure('the agent ended without a result', stderr) });
    }
  } catch (err) {
    if (!abortController.signal.aborted) {
      const message = err instanceof Error ? err.message : String(err);
      await send({ event: 'error', data: failure(message, stderr) });
    }
  } finally {
    commandEnded();
    if (!ctx.res.destroyed) sse.end();
  }
}

/** A tool ran: the SDK hands its result back to the model as a user message with tool_result blocks. */
function hasToolResult(m: SDKMessage): boolean {
  if (m.type !== 'user') return false;
  const content: unknown = m.message.content;
  return (
    Array.isArray(content) &&
    content.some((b: unknown) => (b as { type?: unknown } | null)?.type === 'tool_result')
  );
}

function asRecord(m: SDKMessage): Record<string, unknown> {
  return m as unknown as Record<string, unknown>;
}

/** The error's message, then as much of the CLI's last stderr as fits (it usually says why). */
function failure(message: string, stderr: string): AgentRunErrorEventData {
  const head = message.slice(0, MAX_ERROR_MESSAGE);
  const tail = stderr.trim();
  const room = MAX_ERROR_MESSAGE - head.length - 1;
  return {
    code: 'agent_error',
    message: tail && room > 0 ? `${head}\n${tail.slice(-room)}` : head,
  };
}

/** Sends one event; when the socket buffer is full, waits for it to drain (or the client to go). */
async function sendPaced(res: ServerResponse, sse: SseWriter, event: string, data: unknown): Promise<void> {
  if (res.destroyed || sse.send(event, data)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
