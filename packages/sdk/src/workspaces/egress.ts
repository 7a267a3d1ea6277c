import type { EgressApplied } from '@berth/protocol/client';
import { callOptions, type CallOptions } from '../http/call-options.js';
import type { Transport } from '../http/transport.js';

// Rules as the protocol's egress request schema takes them (zod-inferred there, so restated here and pinned by
// test/server-types.test.ts).

/** Headers the egress proxy adds to requests for `host` (credentials the workspace never sees). */
export interface HeaderRule {
  /** `name` or `*.suffix`, no port. */
  host: string;
  /** `name: value`; values without CR, LF or NUL. */
  headers: Record<string, string>;
}

/**
 * The workspace's own egress rules. Each part given replaces that part; a part left out stays as it was.
 * They add to the operator's base allowlist, which a tenant cannot remove.
 */
export interface EgressRules {
  /** `name` or `*.suffix`, optionally `:port` (none: HTTP on 80, CONNECT on 443); at most 100. */
  allowDomains?: string[];
  /** At most 50. */
  headerRules?: HeaderRule[];
}

/** The workspace's way out: its own egress proxy (`PUT /v1/workspaces/{id}/egress`). */
export class Egress {
  readonly #http: Transport;
  readonly #path: string;

  /** @internal */
  constructor(http: Transport, workspacePath: string) {
    this.#http = http;
    this.#path = `${workspacePath}/egress`;
  }

  /**
   * Pushes rules to the proxy; they apply at once. A bad rule is `400 invalid_request` and changes nothing;
   * a workspace that is not ready answers 409; a deployment without a proxy `422 unprocessable`.
   */
  update(rules: EgressRules, options?: CallOptions): Promise<EgressApplied> {
    return this.#http.json({
      method: 'PUT',
      path: this.#path,
      json: rules,
      retry: 'safe',
      ...callOptions(options),
    });
  }
}
