import type { UpstreamScheme } from '../policy/egress-policy.js';

/** A request on its way upstream, which injectors may change before it is sent. */
export interface OutgoingRequest {
  method: string;
  /** Destination name without port (what SNI and signing use). */
  host: string;
  /** The `Host` header value (name, plus `:port` when not the scheme's default). */
  hostHeader: string;
  scheme: UpstreamScheme;
  /** Path and query exactly as the workspace sent them. */
  path: string;
  /** Lower-case header names, hop-by-hop headers already removed. */
  headers: Record<string, string | string[]>;
  /** The buffered body; only present when an injector declared `needsBody`. */
  body?: Buffer;
}

/** One credential-injection step for a destination host. */
export interface Injector {
  /** Short name recorded in the audit line (`anthropic`, `bedrock`, `header-rule`). */
  readonly name: string;
  /** True when the body must be buffered before `apply` runs (SigV4 hashes it). */
  readonly needsBody: boolean;
  apply(request: OutgoingRequest): Promise<void> | void;
}

/** How to reach a host that has injection rules, and what to do to its requests. */
export interface InjectionPlan {
  scheme: UpstreamScheme;
  /** In the order they must run; signing comes last so it covers every header the others set. */
  injectors: Injector[];
}

/** Credentials the workspace might send and must never reach an upstream that has an injection rule. */
export const WORKSPACE_CREDENTIAL_HEADERS = ['authorization', 'x-api-key'] as const;
