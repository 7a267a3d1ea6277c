import { describe, expect, it } from 'vitest';
import { API_KEY, routes, runCli, sse, useFakeBerth } from './support/run-cli.js';

// `berth agent`: a run's text on stdout, notes about it on stderr, or every event as JSON.
const fake = useFakeBerth();
const env = () => ({ BERTH_URL: fake.url, BERTH_API_KEY: API_KEY });

const assistant = (...content: unknown[]) => ({ type: 'assistant', message: { role: 'assistant', content } });
const RUN: [string, unknown][] = [
  ['message', { type: 'system', subtype: 'init', session_id: 's-1' }],
  [
    'message',
    assistant(
      { type: 'text', text: 'I will write it.' },
      { type: 'tool_use', name: 'Write', input: { file_path: '/workspace/hello.py', content: 'print(1)' } },
    ),
  ],
  ['message', { type: 'user', message: { content: [{ type: 'tool_result', content: 'ok' }] } }],
  ['files_changed', { changed: ['hello.py'], deleted: [] }],
  ['message', assistant({ type: 'tool_use', name: 'Bash', input: { command: 'python3\n  hello.py' } })],
  ['message', assistant({ type: 'text', text: 'Done.' })],
  [
    'result',
    { type: 'result', subtype: 'success', is_error: false, num_turns: 3, session_id: 's-1', result: 'Done.' },
  ],
];

function agentWith(events: [string, unknown][]) {
  fake.handle(
    routes({
      'POST /v1/workspaces/ws_1/execute': (_req, res) => sse(res, events),
    }),
  );
}

describe('agent', () => {
  it('sends the run options; text to stdout, tool uses, changed files and the result to stderr', async () => {
    agentWith(RUN);
    const r = await runCli(
      [
        'agent',
        'ws_1',
        'Write',
        'hello.py',
        '--session',
        's-0',
        '--max-turns',
        '5',
        '--allow',
        'Write',
        '--allow',
        'Bash',
        '--model',
        'm1',
      ],
      { env: env() },
    );
    expect(r.code).toBe(0);
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['POST /v1/workspaces/ws_1/execute']);
    expect(fake.requests.find((q) => q.path.endsWith('/execute'))!.json).toEqual({
      prompt: 'Write hello.py',
      sessionId: 's-0',
      maxTurns: 5,
      allowedTools: ['Write', 'Bash'],
      model: 'm1',
    });
    expect(r.stdout).toBe('I will write it.\nDone.\n');
    expect(r.stderr).toBe(
      [
        '[tool] Write /workspace/hello.py',
        '[files] changed hello.py',
        '[tool] Bash python3 hello.py',
        '[result] success, 3 turns, session s-1',
        '',
      ].join('\n'),
    );
  });

  it('--json: one event per line, as received', async () => {
    agentWith(RUN);
    const r = await runCli(['agent', 'ws_1', 'go', '--json'], { env: env() });
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(RUN.map(([event, data]) => ({ event, data })));
  });

  it('an error event or an unsuccessful result exits 1', async () => {
    agentWith([['error', { code: 'agent_error', message: 'no credit' }]]);
    expect(await runCli(['agent', 'ws_1', 'go'], { env: env() })).toMatchObject({
      code: 1,
      stderr: 'berth: agent_error: no credit\n',
    });
    agentWith([['result', { subtype: 'error_max_turns', is_error: true, num_turns: 5, session_id: 's' }]]);
    expect((await runCli(['agent', 'ws_1', 'go'], { env: env() })).code).toBe(1);
  });
});
