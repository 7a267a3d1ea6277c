import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runInLoopbackNamespace, skipNetns } from './helpers/netns.js';

// Every refusal runs in a fresh network namespace with only `lo`: if the policy had a bug, the
// packet would have nowhere to go but a trap server on `lo`, never the host's networks.
const SCENARIO = fileURLToPath(new URL('./fixtures/refusal-scenario.ts', import.meta.url));

type Result = {
  status: number;
  blocked: string | null;
  code: string | null;
  trapHits: { local: string; port: number }[];
};

describe.skipIf(skipNetns)('refusals inside a loopback-only network namespace', () => {
  let results: Record<string, Result>;

  beforeAll(() => {
    results = runInLoopbackNamespace<Result>(SCENARIO, ['10.1.2.3', '169.254.169.254', 'fd00::5']);
  }, 90_000);

  it('controls reach the traps, so the traps can see a leak', () => {
    expect(results['control-http']).toMatchObject({ status: 200, blocked: null });
    expect(results['control-http']?.trapHits).toEqual([{ local: '::ffff:127.0.0.1', port: 80 }]);
    expect(results['control-connect']).toMatchObject({ status: 200 });
    expect(results['control-connect']?.trapHits).toEqual([{ local: '::ffff:127.0.0.1', port: 443 }]);
  });

  it.each([
    ['unlisted-domain', 'domain_not_allowed'],
    ['unlisted-domain-connect', 'domain_not_allowed'],
    ['rebind-private', 'address_private'],
    ['rebind-private-connect', 'address_private'],
    ['rebind-mixed-answers', 'address_private'],
    ['imds-by-ip', 'address_metadata'],
    ['imds-by-ip-connect', 'address_metadata'],
    ['imds-by-name', 'address_metadata'],
    ['imds-mapped-ipv6-name', 'address_metadata'],
    ['private-ip-literal', 'address_private'],
    ['private-mapped-ipv6-literal', 'address_private'],
    ['ula-ipv6', 'address_private'],
    ['unspecified', 'address_unspecified'],
    ['port-not-allowed', 'port_not_allowed'],
    ['connect-port-22', 'port_not_allowed'],
    ['loopback-without-test-switch', 'address_loopback'],
    ['loopback-without-test-switch-connect', 'address_loopback'],
  ])('%s: 403 %s, and no trap saw a connection', (name, reason) => {
    const result = results[name];
    expect(result, name).toBeDefined();
    expect(result?.status).toBe(403);
    expect(result?.blocked).toBe(reason);
    expect(result?.code).toBe(reason);
    expect(result?.trapHits).toEqual([]);
  });
});
