/** Counters served by `GET /admin/stats`. */
export interface StatsSnapshot {
  startedAt: string;
  requests: number;
  allowed: number;
  blocked: number;
  errors: number;
  upstreamErrors: number;
  bytesIn: number;
  bytesOut: number;
  activeRequests: number;
  activeTunnels: number;
  blockedByReason: Record<string, number>;
  policyVersion: number;
}

/** Live counters; the forwarders update them, the admin API reads them. */
export class Stats {
  private readonly startedAt = new Date().toISOString();
  requests = 0;
  allowed = 0;
  blocked = 0;
  errors = 0;
  upstreamErrors = 0;
  bytesIn = 0;
  bytesOut = 0;
  activeRequests = 0;
  activeTunnels = 0;
  private readonly byReason = new Map<string, number>();

  countBlocked(reason: string): void {
    this.blocked += 1;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
  }

  snapshot(policyVersion: number): StatsSnapshot {
    return {
      startedAt: this.startedAt,
      requests: this.requests,
      allowed: this.allowed,
      blocked: this.blocked,
      errors: this.errors,
      upstreamErrors: this.upstreamErrors,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      activeRequests: this.activeRequests,
      activeTunnels: this.activeTunnels,
      blockedByReason: Object.fromEntries(this.byReason),
      policyVersion,
    };
  }
}
