import { describe, expect, it } from 'vitest';
import { acquireWorkspace } from '@berth/core';
import { apiEvent, lambdaContext } from '../support/api-event.js';
import { KEY_A, KEY_B, makeApi } from '../support/app.js';
import {
  answerProblems,
  describeRequest,
  fuzzRequest,
  fuzzSeed,
  type FuzzRequest,
} from '../support/fuzz-requests.js';

/**
 * The fuzz suite's generated requests (support/fuzz-requests.ts) through the API handler itself, as API
 * Gateway hands them over, with core's fakes behind it: cheap, so many more of them than the end-to-end run
 * (test/security/fuzz.test.ts). Replay: BERTH_FUZZ_SEED=<seed>.
 */
const SEED = fuzzSeed();
const COUNT = 1000;

/** What API Gateway (HTTP API, payload 2.0) makes of the request: joined duplicate headers, decoded query. */
function toEvent(req: FuzzRequest) {
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) {
    const name = k.toLowerCase();
    headers[name] = name in headers ? `${headers[name]},${v}` : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(req.query)) query[k] = k in query ? `${query[k]},${v}` : v;
  const text = /^(application\/json|text\/)/i.test(headers['content-type'] ?? '');
  return apiEvent(req.method, req.path, {
    headers,
    query,
    ...(req.body && req.body.length > 0 ? { body: req.body, base64: !text } : {}),
  });
}

describe('fuzz: the API handler over fakes', () => {
  it(`${COUNT} generated requests: no 5xx, API.md's error shape, no stack trace`, async () => {
    const api = makeApi();
    const ws = (await acquireWorkspace(api.deps, { tenantId: 'tenantA', conversationId: 'fuzz-target' }))
      .workspace;
    const target = { workspaceId: ws.id, conversationId: 'fuzz-target', keys: { A: KEY_A, B: KEY_B } };
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    for (let i = 0; i < COUNT; i++) {
      const req = fuzzRequest(SEED, i, target);
      try {
        const res = await api.handler(toEvent(req), lambdaContext());
        const body =
          typeof res.body === 'string'
            ? res.isBase64Encoded
              ? Buffer.from(res.body, 'base64').toString('utf8')
              : res.body
            : '<stream>';
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        const problems = answerProblems(req, res.statusCode, res.headers?.['content-type'] ?? '', body);
        if (problems.length)
          failures.push(
            `${describeRequest(req)}: ${problems.join('; ')} — ${res.statusCode} ${body.slice(0, 200)}`,
          );
      } catch (e) {
        failures.push(`${describeRequest(req)}: the handler threw ${String(e)}`);
      }
    }
    // Most requests must get past the key check, or the fuzz tests nothing but authentication.
    expect(
      Object.entries(statuses)
        .filter(([s]) => s !== '401')
        .reduce((n, [, c]) => n + c, 0),
    ).toBeGreaterThan(COUNT * 0.8);
    if (process.env.BERTH_FUZZ_VERBOSE) console.log(SEED, statuses);
    expect(
      failures,
      `seed ${SEED}: ${failures.length} bad answers\n${failures.slice(0, 15).join('\n')}`,
    ).toEqual([]);
  }, 120_000);
});
