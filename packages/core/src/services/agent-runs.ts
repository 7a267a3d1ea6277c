import { relaySse } from '../workspace-agent/sse-relay.js';
import { METRIC } from '../observability/metric-names.js';
import type { AgentRunRequest, WorkspaceAgentStream } from '../ports/workspace-agent-client.js';
import { callWorkspaceAgent } from './workspace-agent-target.js';
import { coalesced } from './coalesced-task.js';
import type { ServiceDeps } from './deps.js';
import { syncFilesToBlob } from './file-sync.js';
import { touchActivity } from './keepalive.js';

/**
 * Runs the agent in a workspace (API.md `POST /v1/workspaces/{id}/execute`) and relays its SSE stream as is.
 * Each `files_changed` event passing through saves the workspace's files to the blob store (coalesced: one
 * sync in flight, one queued), and a run that changed files gets one last sync before its stream ends, so a
 * container lost after a run loses none of its work.
 */
export async function streamAgentRun(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  req: AgentRunRequest,
  signal?: AbortSignal,
): Promise<WorkspaceAgentStream> {
  const started = deps.clock.now();
  // Followed as activity until the agent's stream is over (the relay destroys it when the client goes away).
  const stream = await callWorkspaceAgent(deps, tenantId, id, (t) =>
    deps.workspaceAgent.streamAgentRun(t, req, signal),
  );
  const keys = { workspaceId: id, tenantId };
  deps.metrics.count(METRIC.AgentRuns);
  deps.log.info('execute started', keys);

  const sync = coalesced(
    () => syncWhileReady(deps, id),
    (e) => {
      deps.log.error('file sync during execute failed', { ...keys, error: String(e) });
      deps.metrics.count(METRIC.FileSyncFailed);
    },
  );
  let filesChangedEvents = 0;
  const body = relaySse(stream.body, {
    onEvent(name) {
      if (name !== 'files_changed') return;
      filesChangedEvents++;
      sync.request();
    },
    async beforeEnd() {
      // Files may change after the last event's sync began (or without an event): one more, then wait.
      if (filesChangedEvents > 0) sync.request();
      await sync.settled();
      const durationMs = deps.clock.now() - started;
      deps.metrics.duration(METRIC.AgentRunLatency, durationMs);
      deps.log.info('execute ended', { ...keys, durationMs, filesChangedEvents });
    },
  });
  return { ...stream, body };
}

/**
 * Saves the files of a workspace still ready, from its live container (the agent archives its directory while
 * the run goes on). Any other state skips: a stopping workspace syncs itself before its container stops, and
 * a paused or lost one cannot answer. Read fresh each time, since the run may outlive the workspace.
 */
async function syncWhileReady(deps: ServiceDeps, id: string): Promise<void> {
  const ws = await deps.store.get(id, { now: deps.clock.now() });
  if (ws?.status !== 'ready') return;
  // An agent changing files is activity: the lease follows it, like exec and file calls.
  void touchActivity(deps, ws);
  if (await syncFilesToBlob(deps, ws)) deps.metrics.count(METRIC.AgentRunFileSyncs);
}
