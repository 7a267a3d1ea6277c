import type { AwsCredentialsProvider } from '../inject/bedrock-sigv4.js';
import type { EgressPolicy } from '../policy/egress-policy.js';
import type { PolicySnapshot } from '../policy/policy-store.js';
import { PolicyStore } from '../policy/policy-store.js';

/** A workspace's egress policy as the control plane keeps it. */
export interface WorkspacePolicy {
  tenantId: string;
  policy: EgressPolicy;
}

/** Where the gateway learns each workspace's policy (the control plane's store). */
export interface WorkspacePolicySource {
  /** null: no such workspace, or it has ended; its requests are refused. Rejects when the store fails. */
  policyFor(workspaceId: string): Promise<WorkspacePolicy | null>;
}

/** A workspace's policy ready to judge requests: injection plans built once, not per request. */
export interface CompiledWorkspacePolicy {
  workspaceId: string;
  tenantId: string;
  snapshot: PolicySnapshot;
}

/** What the gateway asks per request; rejects when the source failed (the request gets 503). */
export interface CompiledPolicies {
  policyFor(workspaceId: string): Promise<CompiledWorkspacePolicy | null>;
}

export interface PolicyCacheOptions {
  /** AWS credentials for Bedrock signing (shared by every workspace's signer). */
  credentials: AwsCredentialsProvider;
  /** How long an answer (a policy, or null) is used before the source is asked again. */
  ttlMs?: number;
  /** Most workspaces held at once; the least recently used is dropped first. */
  maxEntries?: number;
  /** Milliseconds; Date.now by default. */
  clock?: () => number;
}

interface Entry {
  value: CompiledWorkspacePolicy | null;
  expiresAt: number;
}

/**
 * Caches a source's answers for a short TTL so a busy workspace costs the source about one read per TTL,
 * while a policy change (PUT /egress) is in force within the TTL (1 s by default). Concurrent misses for
 * one workspace share a single read. A failed read is an error for the requests waiting on it, never a
 * reason to keep using an expired answer: the gateway must not allow what the policy may no longer allow.
 * An answer expires TTL after its read *started*, so it can never be older than the TTL.
 */
export function cachedPolicies(source: WorkspacePolicySource, options: PolicyCacheOptions): CompiledPolicies {
  const ttlMs = options.ttlMs ?? 1_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const clock = options.clock ?? Date.now;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<CompiledWorkspacePolicy | null>>();

  const remember = (workspaceId: string, entry: Entry) => {
    entries.delete(workspaceId); // re-inserted last: Map order is the recency order
    entries.set(workspaceId, entry);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
  };

  const read = async (workspaceId: string): Promise<CompiledWorkspacePolicy | null> => {
    const startedAt = clock();
    const found = await source.policyFor(workspaceId);
    const value = found && {
      workspaceId,
      tenantId: found.tenantId,
      // PolicyStore compiles exactly as the sidecar does (Anthropic, Bedrock signer, header rules).
      snapshot: new PolicyStore(found.policy, options.credentials).current(),
    };
    remember(workspaceId, { value, expiresAt: startedAt + ttlMs });
    return value;
  };

  return {
    policyFor(workspaceId) {
      const entry = entries.get(workspaceId);
      if (entry && entry.expiresAt > clock()) {
        remember(workspaceId, entry);
        return Promise.resolve(entry.value);
      }
      if (entry) entries.delete(workspaceId);
      let pending = inFlight.get(workspaceId);
      if (!pending) {
        // .finally runs asynchronously, so even a source that throws at once is removed after it is added.
        pending = read(workspaceId).finally(() => inFlight.delete(workspaceId));
        inFlight.set(workspaceId, pending);
      }
      return pending;
    },
  };
}
