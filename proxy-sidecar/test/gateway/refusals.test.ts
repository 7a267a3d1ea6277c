import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runInLoopbackNamespace, skipNetns } from '../helpers/netns.js';

// As refusals.test.ts for the sidecar: each refusal runs in a fresh network namespace with only `lo`, so a
// policy bug could only reach a trap server on `lo`. Here every request carries a valid credential.
const SCENARIO = fileURLToPath(new URL('../fixtures/gateway-refusal-scenario.ts', import.meta.url));

type Result = { status: number; blocked: string | null; trapHits: { local: string; port: number }[] };

describe.skipIf(skipNetns)('gateway refusals inside a loopback-only network namespace', () => {
  let results: Record<string, Result>;

  beforeAll(() => {
    results = runInLoopbackNamespace<Result>(SCENARIO, [
      '10.1.2.3',
      '169.254.169.254',
      '169.254.1.1',
      'fd00::5',
    ]);
  }, 90_000);

  it('controls reach the traps through the gateway, so the traps can see a leak', () => {
    expect(results['control-http']).toMatchObject({ status: 200, blocked: null });
    expect(results['control-http']?.trapHits).toEqual([{ local: '::ffff:127.0.0.1', port: 80 }]);
    expect(results['control-connect']).toMatchObject({ status: 200 });
    expect(results['control-connect']?.trapHits).toEqual([{ local: '::ffff:127.0.0.1', port: 443 }]);
  });

  it.each([
    ['no-credential', 407, 'credential_missing'],
    ['no-credential-connect', 407, 'credential_missing'],
    ['rebind-private', 403, 'address_private'],
    ['rebind-private-connect', 403, 'address_private'],
    ['rebind-mixed-answers', 403, 'address_private'],
    ['imds-by-ip', 403, 'address_metadata'],
    ['imds-by-ip-connect', 403, 'address_metadata'],
    ['imds-by-name', 403, 'address_metadata'],
    ['imds-mapped-ipv6-name', 403, 'address_metadata'],
    ['link-local-literal', 403, 'address_link_local'],
    ['private-ip-literal', 403, 'address_private'],
    ['ula-ipv6', 403, 'address_private'],
    ['loopback-without-test-switch', 403, 'address_loopback'],
    ['loopback-without-test-switch-connect', 403, 'address_loopback'],
  ])('%s: %i %s, and no trap saw a connection', (name, status, reason) => {
    const result = results[name];
    expect(result, name).toBeDefined();
    expect(result?.status).toBe(status);
    expect(result?.blocked).toBe(reason);
    expect(result?.trapHits).toEqual([]);
  });
});
