import { createHash, timingSafeEqual } from 'node:crypto';

/** Maps an API key to the tenant it belongs to. */
export interface TenantResolver {
  resolve(apiKey: string): Promise<string | undefined>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Keys from configuration (`tenantA:keyA,tenantB:keyB`). Keys are kept only as hashes and compared in
 * constant time, so neither memory dumps nor timing give them away.
 */
export class StaticTenantResolver implements TenantResolver {
  private readonly entries: { tenantId: string; hash: Buffer }[];

  constructor(keys: { tenantId: string; apiKey: string }[]) {
    this.entries = keys.map((k) => ({ tenantId: k.tenantId, hash: digest(k.apiKey) }));
  }

  static parse(spec: string): StaticTenantResolver {
    const keys = spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((pair) => {
        const i = pair.indexOf(':');
        const tenantId = pair.slice(0, i);
        const apiKey = pair.slice(i + 1);
        if (i <= 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(tenantId) || apiKey.length < 8) {
          throw new Error(
            `invalid API key entry "${pair.slice(0, 20)}…": expected tenant:key with a key of 8+ characters`,
          );
        }
        return { tenantId, apiKey };
      });
    if (keys.length === 0) throw new Error('no API keys configured');
    return new StaticTenantResolver(keys);
  }

  async resolve(apiKey: string): Promise<string | undefined> {
    const h = digest(apiKey);
    let found: string | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.hash, h)) found ??= e.tenantId;
    return found;
  }
}
