import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBedrock, type FakeBedrock } from '../support/fake-bedrock.js';
import { readSse, uniq, useLocalBerth } from '../support/local-berth.js';

// Bedrock mode end to end: the public API → the workspace agent → the real Claude Agent SDK in the
// container (unsigned requests, no AWS credential) → the workspace's egress proxy, which signs them with
// SigV4 using the Berth host's AWS credentials → a fake Bedrock runtime that checks the signature.
const REGION = 'us-east-1';
const MODEL = 'us.anthropic.claude-fake-v1:0';
const CREDENTIALS = {
  accessKeyId: `AKIATEST${randomBytes(6).toString('hex').toUpperCase()}`,
  secretAccessKey: `secret-${randomBytes(16).toString('hex')}`,
  sessionToken: `token-${randomBytes(16).toString('hex')}`,
};
const RUNTIME_HOST = `bedrock-runtime.${REGION}.amazonaws.com`;
const SLOW = { timeout: 120_000 };

// The credentials go to the Berth host (this process: the proxies' default provider chain reads them from
// the environment), never to a workspace.
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
};
const savedEnv: Record<string, string | undefined> = {};
let bedrock: FakeBedrock;
beforeAll(async () => {
  for (const [name, value] of Object.entries(AWS_ENV)) {
    savedEnv[name] = process.env[name];
    process.env[name] = value;
  }
  bedrock = await startFakeBedrock({ verify: { region: REGION, credentials: CREDENTIALS } });
});
afterAll(async () => {
  await bedrock?.close();
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const b = useLocalBerth({
  egress: () => ({
    bedrockRegion: REGION,
    bedrockModel: MODEL,
    // Test-only: the region's runtime host name resolves to the fake on loopback, which talks plain HTTP.
    bedrockUpstream: `http://${RUNTIME_HOST}:${bedrock.port}`,
    allowLoopback: true,
    testHosts: { [RUNTIME_HOST]: ['127.0.0.1'] },
  }),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SDK messages: assert on what matters
type EventData = Record<string, any>;

describe('agent runs on Bedrock', () => {
  let id: string;
  beforeAll(async () => {
    id = (await b.createWorkspace(uniq('bedrock'))).json.id;
  });

  it(
    'runs the agent on the configured model, signed by the proxy with the host’s credentials only',
    SLOW,
    async () => {
      // A tool call first: its command records the environment the SDK's CLI gave it.
      bedrock.setScript([
        { toolUse: { name: 'Bash', input: { command: 'env > /workspace/run-env.txt' } } },
        'done on bedrock',
      ]);
      const res = await b.fetch('POST', `/v1/workspaces/${id}/execute`, { body: { prompt: 'Go' } });
      expect(res.status).toBe(200);
      const events = (await readSse(res)).map((e) => ({
        event: e.event,
        data: JSON.parse(e.data) as EventData,
      }));
      expect(events.at(-1), JSON.stringify(events).slice(-2000)).toMatchObject({
        event: 'result',
        data: { subtype: 'success', result: 'done on bedrock' },
      });

      // Both model turns reached the fake, signed for the configured model with the host's credentials.
      const turns = bedrock.requests.filter((q) => q.operation === 'invoke-with-response-stream');
      expect(turns.length).toBeGreaterThanOrEqual(2);
      for (const q of turns) expect(q.modelId).toBe(MODEL);
      for (const q of bedrock.requests) {
        expect(q.signature, q.url).toBe('valid');
        expect(q.sigv4?.accessKeyId).toBe(CREDENTIALS.accessKeyId);
        expect(q.sigv4?.scope).toMatch(new RegExp(`/${REGION}/bedrock/aws4_request$`));
        expect(q.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
      }

      // Nothing of the credentials in the workspace: not in the CLI's environment (as its tool saw it), the
      // agent's or any other process's, nor in a file.
      const runEnv = await b.sh(id, 'cat /workspace/run-env.txt');
      expect(runEnv).toContain('CLAUDE_CODE_USE_BEDROCK=1');
      const processes = await b.sh(
        id,
        'env; for f in /proc/[0-9]*/environ; do tr "\\0" "\\n" < "$f" 2>/dev/null; done; true',
      );
      expect(processes).toContain(`AGENT_BEDROCK_REGION=${REGION}`); // the agent's own environment was read
      for (const text of [runEnv, processes]) {
        for (const secret of [...Object.keys(AWS_ENV), ...Object.values(AWS_ENV)])
          expect(text).not.toContain(secret);
      }
      const patterns = Object.values(AWS_ENV).flatMap((secret) => ['-e', secret]);
      const found = await b.exec(id, ['grep', '-rlF', ...patterns, '/workspace', '/tmp', '/run/berth']);
      expect(found.json.stdout).toBe('');
    },
  );
});
