import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerProblems,
  describeRequest,
  fuzzRequest,
  fuzzSeed,
  type FuzzRequest,
  type FuzzTarget,
} from '../../packages/functions/test/support/fuzz-requests.js';
import { useLocalBerth } from '../support/local-berth.js';

/**
 * A few hundred generated hostile requests (fuzz-requests.ts: every route and field of API.md and the README's
 * additions; wrong types, extreme numbers, deep nesting, huge strings, odd content types, charsets, invalid
 * UTF-8 and percent-encodings, odd methods and headers) against a real local Berth over raw HTTP, with one
 * ready workspace as the target. Every answer: no 5xx (nothing here is down), within the timeout, errors in
 * API.md's shape, no stack trace or host path. Replay: BERTH_FUZZ_SEED=<seed> (BERTH_FUZZ_ONLY=<index>).
 */
const SEED = fuzzSeed();
const COUNT = Number(process.env.BERTH_FUZZ_COUNT ?? 400);
const ONLY = process.env.BERTH_FUZZ_ONLY === undefined ? undefined : Number(process.env.BERTH_FUZZ_ONLY);
const ANSWER_TIMEOUT_MS = 20_000;
/** Parallel requests: enough to overlap slow ones, little enough for 2 cores. */
const WORKERS = 4;
/** Read at most this much of an answer (file downloads): the checks need its start. */
const READ_CAP = 1024 * 1024;

interface Answer {
  status: number;
  contentType: string;
  body: string;
  ms: number;
}

/** One request exactly as generated (raw target, duplicate headers), its answer read up to READ_CAP. */
function send(base: URL, req: FuzzRequest): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const headers = req.headers.flat();
    if (!req.omitHost && !req.headers.some(([k]) => k === 'host')) headers.push('host', base.host);
    if (req.body) headers.push('content-length', String(req.body.length));
    const r = http.request({
      host: base.hostname,
      port: base.port,
      method: req.method,
      path: req.query ? `${req.path}?${req.query}` : req.path,
      headers,
      agent: false,
      setHost: false, // raw headers: the Host header is ours to send (or not)
    });
    const timer = setTimeout(() => {
      r.destroy();
      reject(new Error(`no complete answer in ${ANSWER_TIMEOUT_MS} ms`));
    }, ANSWER_TIMEOUT_MS);
    let answered = false;
    r.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - t0,
        });
      };
      res.on('data', (c: Buffer) => {
        if (size < READ_CAP) chunks.push(c);
        size += c.length;
        if (size >= READ_CAP) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', () => done()); // cut short after the answer started: what arrived is checked
    });
    r.on('error', (e) => {
      if (answered) return;
      clearTimeout(timer);
      reject(e);
    });
    r.end(req.body);
  });
}

describe('fuzz: hostile requests over every route', () => {
  const berth = useLocalBerth({ sweepIntervalMs: 60_000 });
  let target: FuzzTarget;

  beforeAll(async () => {
    const conversationId = 'fuzz-target';
    const ws = await berth.createWorkspace(conversationId);
    target = { workspaceId: ws.json.id, conversationId, keys: berth.keys };
  });

  afterAll(() => {
    // The seed, whatever happened: a failure elsewhere in the file can then be replayed too.
    process.stdout.write(`fuzz seed ${SEED} (BERTH_FUZZ_SEED=${SEED} replays it)\n`);
  });

  it(`${COUNT} generated requests: no 5xx, no hang, API.md's error shape, no stack trace`, async () => {
    const base = new URL(berth.url);
    const indexes = ONLY === undefined ? [...Array(COUNT).keys()] : [ONLY];
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < indexes.length; i = next++) {
        const req = fuzzRequest(SEED, indexes[i]!, target);
        let answer: Answer;
        try {
          answer = await send(base, req);
        } catch (e) {
          // The server may answer an over-limit body early and close before the client finished sending it.
          const reset = /ECONNRESET|EPIPE/.test(String((e as NodeJS.ErrnoException).code ?? e));
          if (!(reset && (req.body?.length ?? 0) > 6 * 1024 * 1024))
            failures.push(`${describeRequest(req)}: ${(e as Error).message}`);
          continue;
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (process.env.BERTH_FUZZ_VERBOSE)
          process.stdout.write(
            `${answer.status} ${Math.round(answer.ms)}ms ${describeRequest(req).slice(0, 200)} :: ${answer.body.slice(0, 120).replace(/\n/g, ' ')}\n`,
          );
        // A HEAD answer has headers only.
        const body = req.method === 'HEAD' ? '' : answer.body;
        const problems =
          req.method === 'HEAD'
            ? answer.status >= 500
              ? [`status ${answer.status}`]
              : []
            : answerProblems(req, answer.status, answer.contentType, body);
        if (problems.length)
          failures.push(
            `${describeRequest(req)}: ${problems.join('; ')} — ${answer.status} ${body.slice(0, 200)}`,
          );
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    process.stdout.write(
      `fuzz seed ${SEED}: ${indexes.length} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    expect(
      failures,
      `seed ${SEED}: ${failures.length} bad answers\n${failures.slice(0, 15).join('\n')}`,
    ).toEqual([]);

    // Berth and its workspace took it all: still healthy and working.
    expect((await berth.api('GET', '/health')).status).toBe(200);
    expect(await berth.sh(target.workspaceId, 'echo alive')).toBe('alive\n');
  }, 600_000);
});
