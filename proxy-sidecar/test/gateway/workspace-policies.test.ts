import { describe, expect, it } from 'vitest';
import type { WorkspacePolicy } from '../../src/index.js';
import { cachedPolicies } from '../../src/index.js';
import { allowing } from '../helpers/gateway.js';

const credentials = async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' });

/** A source whose reads the test resolves by hand, with a clock it moves by hand. */
function harness(ttlMs = 1_000, maxEntries = 10_000) {
  const now = { ms: 0 };
  const store = new Map<string, WorkspacePolicy>([
    ['ws_a', { tenantId: 't_1', policy: allowing('a.test') }],
    ['ws_b', { tenantId: 't_2', policy: allowing('b.test') }],
    ['ws_c', { tenantId: 't_3', policy: allowing('c.test') }],
  ]);
  const reads: string[] = [];
  let failing = false;
  const source = {
    async policyFor(workspaceId: string) {
      reads.push(workspaceId);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (failing) throw new Error('store down');
      return store.get(workspaceId) ?? null;
    },
  };
  const cache = cachedPolicies(source, { credentials, ttlMs, maxEntries, clock: () => now.ms });
  return { now, store, reads, cache, fail: (on: boolean) => (failing = on) };
}

const allowed = (p: Awaited<ReturnType<ReturnType<typeof harness>['cache']['policyFor']>>) =>
  p?.snapshot.policy.allowDomains.map((d) => d.name);

describe('cachedPolicies', () => {
  it('reads a workspace once per TTL, compiled once, and again after it', async () => {
    const h = harness();
    const first = await h.cache.policyFor('ws_a');
    expect(first).toMatchObject({ workspaceId: 'ws_a', tenantId: 't_1' });
    h.now.ms = 999;
    expect(await h.cache.policyFor('ws_a')).toBe(first); // the same compiled snapshot
    expect(h.reads).toEqual(['ws_a']);
    h.store.set('ws_a', { tenantId: 't_1', policy: allowing('new.test') });
    h.now.ms = 1_000;
    expect(allowed(await h.cache.policyFor('ws_a'))).toEqual(['new.test']);
    expect(h.reads).toEqual(['ws_a', 'ws_a']);
  });

  it('shares one read among concurrent misses for a workspace', async () => {
    const h = harness();
    const answers = await Promise.all([1, 2, 3, 4].map(() => h.cache.policyFor('ws_b')));
    expect(new Set(answers).size).toBe(1);
    expect(h.reads).toEqual(['ws_b']);
  });

  it('remembers an unknown workspace as null for the TTL too', async () => {
    const h = harness();
    expect(await h.cache.policyFor('ws_none')).toBeNull();
    expect(await h.cache.policyFor('ws_none')).toBeNull();
    expect(h.reads).toEqual(['ws_none']);
  });

  it('fails the request when the source fails, never answering with the expired policy', async () => {
    const h = harness();
    await h.cache.policyFor('ws_a');
    h.fail(true);
    h.now.ms = 1_000;
    await expect(h.cache.policyFor('ws_a')).rejects.toThrow('store down');
    // A failure is not remembered: the next request asks again, and succeeds once the store is back.
    h.fail(false);
    expect(allowed(await h.cache.policyFor('ws_a'))).toEqual(['a.test']);
    expect(h.reads).toEqual(['ws_a', 'ws_a', 'ws_a']);
  });

  it('dates an answer from when its read started, so it is never older than the TTL', async () => {
    const h = harness();
    const pending = h.cache.policyFor('ws_a');
    h.now.ms = 600; // the read took 600 ms
    await pending;
    h.now.ms = 1_000;
    await h.cache.policyFor('ws_a');
    expect(h.reads).toEqual(['ws_a', 'ws_a']);
  });

  it('holds at most maxEntries workspaces, dropping the least recently used', async () => {
    const h = harness(60_000, 2);
    await h.cache.policyFor('ws_a');
    await h.cache.policyFor('ws_b');
    await h.cache.policyFor('ws_a'); // a is now the most recent
    await h.cache.policyFor('ws_c'); // drops b
    await h.cache.policyFor('ws_a');
    await h.cache.policyFor('ws_b');
    expect(h.reads).toEqual(['ws_a', 'ws_b', 'ws_c', 'ws_b']);
  });

  it('builds injection plans as the sidecar does', async () => {
    const h = harness();
    h.store.set('ws_k', {
      tenantId: 't_1',
      policy: {
        ...allowing('api.anthropic.com'),
        anthropic: { apiKey: 'sk-real', hosts: ['api.anthropic.com'], upstreamScheme: 'https' },
      },
    });
    const compiled = await h.cache.policyFor('ws_k');
    expect(compiled?.snapshot.planFor('api.anthropic.com')?.injectors.map((i) => i.name)).toEqual([
      'anthropic',
    ]);
    expect(compiled?.snapshot.planFor('other.test')).toBeNull();
  });
});
