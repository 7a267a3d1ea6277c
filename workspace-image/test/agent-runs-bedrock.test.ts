import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBedrock, type FakeBedrock } from '../../test/support/fake-bedrock.js';
import { claudeEnv } from '../src/agent-runs/claude-options.js';
import type { AgentConfig } from '../src/config.js';
import { parseSse, startTestAgent, type TestAgent } from './helpers.js';

/**
 * Bedrock mode: the real Claude Agent SDK against a local fake Bedrock runtime, with no AWS credential
 * anywhere. Here nothing signs (that is the egress proxy's part, test/e2e/bedrock.test.ts): the CLI must
 * send its requests unsigned instead of looking for credentials.
 */
const SLOW = { timeout: 60_000 };
const MODEL = 'us.anthropic.claude-fake-v1:0';

async function readAll(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const c of res) text += c as string;
  return text;
}

describe('claudeEnv', () => {
  const base = { childHome: '/tmp/home', anthropicApiKey: 'sk-placeholder' } as AgentConfig;

  it('gives Bedrock mode the region, base URL and model, and no API key', () => {
    const env = claudeEnv({
      ...base,
      bedrock: { region: 'us-east-1', baseUrl: 'http://bedrock-runtime.us-east-1.amazonaws.com' },
      model: MODEL,
    });
    expect(env).toMatchObject({
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: 'us-east-1',
      ANTHROPIC_BEDROCK_BASE_URL: 'http://bedrock-runtime.us-east-1.amazonaws.com',
      CLAUDE_CODE_SKIP_BEDROCK_AUTH: '1',
      ANTHROPIC_MODEL: MODEL,
    });
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(env.ANTHROPIC_BASE_URL).toBeUndefined();
  });

  it('gives Anthropic API mode the key placeholder and base URL, and nothing of Bedrock', () => {
    const env = claudeEnv({ ...base, anthropicBaseUrl: 'http://api.anthropic.com' });
    expect(env).toMatchObject({
      ANTHROPIC_API_KEY: 'sk-placeholder',
      ANTHROPIC_BASE_URL: 'http://api.anthropic.com',
    });
    for (const name of ['CLAUDE_CODE_USE_BEDROCK', 'AWS_REGION', 'ANTHROPIC_MODEL'])
      expect(env[name], name).toBeUndefined();
  });
});

describe('POST /execute in Bedrock mode', () => {
  let bedrock: FakeBedrock;
  let t: TestAgent;

  beforeAll(async () => {
    bedrock = await startFakeBedrock({ script: 'hello from bedrock' });
    t = await startTestAgent({
      bedrock: { region: 'us-east-1', baseUrl: `http://127.0.0.1:${bedrock.port}` },
      model: MODEL,
    });
  });
  afterAll(async () => {
    await t?.stop();
    await bedrock?.close();
  });

  it(
    'runs the agent against Bedrock with the configured model, sending unsigned requests',
    SLOW,
    async () => {
      const res = await t.open('POST', '/execute', { body: { prompt: 'Say hello' } }).response;
      expect(res.statusCode).toBe(200);
      const events = parseSse(await readAll(res)).map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
      expect(events.at(-1), JSON.stringify(events).slice(-2000)).toMatchObject({
        event: 'result',
        data: { subtype: 'success', result: 'hello from bedrock' },
      });

      const turns = bedrock.requests.filter((q) => q.operation === 'invoke-with-response-stream');
      expect(turns.length).toBeGreaterThan(0);
      for (const q of turns) expect(q.modelId).toBe(MODEL);
      for (const q of bedrock.requests) {
        expect(q.headers.authorization).toBeUndefined();
        expect(q.headers['x-api-key']).toBeUndefined();
      }
    },
  );
});
