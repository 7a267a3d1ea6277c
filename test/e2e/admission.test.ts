import { describe, expect, it } from 'vitest';
import { expectErrorShape, uniq, useLocalBerth, type ApiAnswer } from '../support/local-berth.js';

// Admission control over the real local host: a tenant at its quota, and cold starts past what the machine
// takes, are refused at once with Retry-After, and nothing is created for them.

const b = useLocalBerth({
  config: { admission: { tenantQuota: 3, maxStartWaitMs: 1 } },
  concurrentStarts: 1,
});

describe('admission control', () => {
  it('a tenant at its quota gets 429 quota_exceeded with Retry-After; others are not held back', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await b.createWorkspace(uniq('quota'))).json.id);
    const conversationId = uniq('over');
    const refused = await b.api('POST', '/v1/workspaces', { body: { conversationId } });
    expect(refused.status).toBe(429);
    expectErrorShape(refused, 429, 'quota_exceeded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Nothing was made for it: the conversation has no workspace, the tenant still holds three.
    const listed = await b.api('GET', '/v1/workspaces?limit=50');
    expect(listed.json.items.map((w: { conversationId: string }) => w.conversationId)).not.toContain(
      conversationId,
    );
    const other = await b.createWorkspace(uniq('other'), {}, b.keys.B);
    expect(other.status).toBe(201);
    await b.api('DELETE', `/v1/workspaces/${other.json.id}`, { key: b.keys.B });
    // A repeat of a live conversation is no new workspace: answered, not refused.
    const again = await b.api('POST', '/v1/workspaces', {
      body: { conversationId: listed.json.items[0].conversationId },
    });
    expect(again.status).toBe(200);
    // Once one ends, the quota has room again.
    await b.api('DELETE', `/v1/workspaces/${ids[0]}`);
    await b.until(
      async () => (await b.api('GET', `/v1/workspaces/${ids[0]}`)).json.status === 'stopped',
      20_000,
      'stopped',
    );
    expect((await b.createWorkspace(conversationId)).status).toBe(201);
  });

  it('cold starts past capacity get 503 capacity with Retry-After, and nothing is made for them', async () => {
    // One start at a time and no wait allowed: while one provisions, a second in line is already too long a wait.
    const conversations = Array.from({ length: 3 }, () => uniq('burst'));
    const answers: ApiAnswer[] = [];
    for (const conversationId of conversations) {
      answers.push(
        await b.api('POST', '/v1/workspaces', { key: b.keys.B, body: { conversationId, wait: false } }),
      );
    }
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) {
      expectErrorShape(a, 503, 'capacity');
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const admitted = answers.filter((a) => a.status === 201);
    expect(admitted.length).toBeGreaterThan(0);
    const listed = await b.api('GET', '/v1/workspaces?limit=50', { key: b.keys.B });
    const refusedConversations = conversations.filter((_, i) => answers[i]!.status === 503);
    for (const w of listed.json.items) expect(refusedConversations).not.toContain(w.conversationId);
    for (const a of admitted) await b.api('DELETE', `/v1/workspaces/${a.json.id}`, { key: b.keys.B });
  });
});
