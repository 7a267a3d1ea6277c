import { isIP } from 'node:net';
import type { AddressBlockReason } from './address-guard.js';
import { classifyAddress } from './address-guard.js';
import type { AccessMode, DomainRule } from './allowlist.js';
import { checkAllowlist } from './allowlist.js';
import type { Resolver } from './resolver.js';
import { preferIPv4 } from './resolver.js';

/** Every reason a request can be refused with 403 (sent in `X-Berth-Proxy-Blocked`). */
export type BlockReason =
  | 'domain_not_allowed'
  | 'port_not_allowed'
  | 'tls_to_injected_host'
  | AddressBlockReason;

/** Outcome of the destination policy for one request or tunnel. */
export type DestinationDecision =
  /** Connect to `addresses[0]` (all of them were checked); never look the name up again. */
  | { kind: 'allowed'; addresses: string[] }
  | { kind: 'blocked'; reason: BlockReason; detail: string }
  /** The name did not resolve: an upstream error (502), not a policy refusal. */
  | { kind: 'unresolved'; detail: string };

/** What {@link decideDestination} needs to know besides the destination itself. */
export interface DestinationContext {
  allowDomains: readonly DomainRule[];
  allowLoopback: boolean;
  resolve: Resolver;
}

/**
 * The whole destination policy. IP literals are judged by address first, so listing `169.254.169.254`
 * cannot open it. Names must be on the allowlist before any DNS query is made (no lookups for names
 * the workspace may not reach), and then every resolved address must pass the address guard: one bad
 * answer refuses the request, which defeats DNS rebinding towards internal ranges.
 */
export async function decideDestination(
  host: string,
  port: number,
  mode: AccessMode,
  context: DestinationContext,
): Promise<DestinationDecision> {
  const guard = { allowLoopback: context.allowLoopback };
  const literal = isIP(host) !== 0;
  if (literal) {
    const reason = classifyAddress(host, guard);
    if (reason) return { kind: 'blocked', reason, detail: `${host} is in a refused address range` };
  }
  const verdict = checkAllowlist(context.allowDomains, host, port, mode);
  if (verdict === 'domain_not_allowed') {
    return { kind: 'blocked', reason: verdict, detail: `${host} is not on the allowlist` };
  }
  if (verdict === 'port_not_allowed') {
    return { kind: 'blocked', reason: verdict, detail: `port ${port} is not allowed for ${host}` };
  }
  if (literal) return { kind: 'allowed', addresses: [host] };

  let addresses: string[];
  try {
    addresses = await context.resolve(host);
  } catch (error) {
    return {
      kind: 'unresolved',
      detail: `${host} did not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  }
  if (addresses.length === 0) return { kind: 'unresolved', detail: `${host} resolved to no address` };
  for (const address of addresses) {
    const reason = classifyAddress(address, guard);
    if (reason) return { kind: 'blocked', reason, detail: `${host} resolves to a refused address` };
  }
  return { kind: 'allowed', addresses: preferIPv4(addresses) };
}
