import { createHash } from 'node:crypto';
import { StaticTenantResolver, type TenantResolver } from './tenant-resolver.js';

/**
 * Tenant keys read through `load` on every check: `load` caches (Powertools parameters, maxAge), so a key
 * rotated in the store is honoured within that age, without a cold start. The parsed keys are rebuilt only
 * when the value changes (compared by digest: the resolver keeps no key in the clear).
 */
export class RotatingTenantResolver implements TenantResolver {
  private current: { digest: string; resolver: StaticTenantResolver } | undefined;

  constructor(private readonly load: () => Promise<string>) {}

  async resolve(apiKey: string): Promise<string | undefined> {
    const spec = await this.load();
    const digest = createHash('sha256').update(spec).digest('hex');
    if (this.current?.digest !== digest)
      this.current = { digest, resolver: StaticTenantResolver.parse(spec) };
    return this.current.resolver.resolve(apiKey);
  }
}
