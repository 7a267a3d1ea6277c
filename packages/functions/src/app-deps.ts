import type { ServiceDeps } from '@berth/core';
import type { TenantResolver } from './auth/tenant-resolver.js';

/** What every handler is built over: the core services' ports plus API-key → tenant resolution. */
export interface AppDeps extends ServiceDeps {
  tenants: TenantResolver;
}

/** Handlers take their dependencies lazily so a Lambda cold start builds them once, on first use. */
export type DepsProvider = () => AppDeps | Promise<AppDeps>;
