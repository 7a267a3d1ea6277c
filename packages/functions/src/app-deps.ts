import type { ServiceDeps, ServiceMetrics } from '@berth/core';
import type { TenantResolver } from './auth/tenant-resolver.js';

/** What every handler is built over: the core services' ports plus API-key → tenant resolution. */
export interface AppDeps extends ServiceDeps {
  tenants: TenantResolver;
}

/**
 * Handlers take their dependencies lazily so a Lambda cold start builds them once, on first use. The handler
 * passes its own metrics, for ports that count something themselves (the RunTask start gate).
 */
export type DepsProvider = (handler?: { metrics: ServiceMetrics }) => AppDeps | Promise<AppDeps>;
