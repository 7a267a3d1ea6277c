import { performance } from 'node:perf_hooks';
import type { AuditDecision } from '../audit.js';
import type { ProxyContext } from './context.js';

/**
 * Collects what happens to one request or tunnel and reports it exactly once (audit line, metrics,
 * stats), whichever way it ends.
 */
export class RequestRecord {
  host = '';
  port = 0;
  path: string | null = null;
  bytesIn = 0;
  bytesOut = 0;
  decision: AuditDecision = 'allowed';
  reason: string | null = null; // null until something goes wrong
  injected: string[] = [];
  private upstreamError = false;
  private finished = false;
  private readonly started = performance.now();

  constructor(
    private readonly ctx: Pick<ProxyContext, 'stats' | 'metrics' | 'audit' | 'workspaceId' | 'tenantId'>,
    readonly method: string,
    private readonly tunnel: boolean,
  ) {
    ctx.stats.requests += 1;
    if (tunnel) ctx.stats.activeTunnels += 1;
    else ctx.stats.activeRequests += 1;
  }

  /** Marks a policy refusal. */
  block(reason: string): void {
    this.decision = 'blocked';
    this.reason = reason;
  }

  /** Marks a failure; `upstream` when the upstream (not the workspace) was at fault. */
  fail(reason: string, upstream: boolean): void {
    if (this.decision === 'blocked') return;
    this.decision = 'error';
    this.reason ??= reason;
    this.upstreamError ||= upstream;
  }

  /** Reports the request; later calls do nothing. */
  finish(status: number): void {
    if (this.finished) return;
    this.finished = true;
    const { stats } = this.ctx;
    const durationMs = performance.now() - this.started;
    if (this.tunnel) stats.activeTunnels -= 1;
    else stats.activeRequests -= 1;
    if (this.decision === 'blocked') stats.countBlocked(this.reason ?? 'unknown');
    else if (this.decision === 'error') stats.errors += 1;
    else stats.allowed += 1;
    if (this.upstreamError) stats.upstreamErrors += 1;
    stats.bytesIn += this.bytesIn;
    stats.bytesOut += this.bytesOut;
    this.ctx.metrics.record({
      blocked: this.decision === 'blocked',
      upstreamError: this.upstreamError,
      latencyMs: durationMs,
    });
    this.ctx.audit.record({
      workspaceId: this.ctx.workspaceId,
      ...(this.ctx.tenantId !== undefined ? { tenantId: this.ctx.tenantId } : {}),
      method: this.method,
      host: this.host,
      port: this.port,
      path: this.path,
      status,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      durationMs: Math.round(durationMs * 1000) / 1000,
      decision: this.decision,
      reason: this.reason ?? 'allowlisted',
      injected: this.injected,
    });
  }
}
