import { describe, expect, it } from 'vitest';
import { makeApi } from '../support/app.js';

async function readyWorkspace(api: ReturnType<typeof makeApi>) {
  const res = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } });
  expect(res.statusCode).toBe(201);
  return res.json.id as string;
}

describe('POST /v1/workspaces/{id}/exec', () => {
  it('answers {exitCode, stdout, stderr, durationMs, timedOut, truncated}', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    api.deps.workspaceAgent.onCommand = (req) => ({
      exitCode: 3,
      signal: null,
      stdout: `ran ${req.cmd.join(' ')}`,
      stderr: 'warn',
      durationMs: 12,
      timedOut: false,
      truncated: false,
    });
    const res = await api.call('POST', `/v1/workspaces/${id}/exec`, {
      body: { cmd: ['make', 'test'], cwd: 'src' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json).toMatchObject({
      exitCode: 3,
      stdout: 'ran make test',
      stderr: 'warn',
      durationMs: 12,
      timedOut: false,
      truncated: false,
    });
    for (const k of ['exitCode', 'stdout', 'stderr', 'durationMs', 'timedOut', 'truncated'])
      expect(res.json).toHaveProperty(k);
    expect(api.deps.workspaceAgent.callsOf('runCommand')[0]!.req).toMatchObject({
      cmd: ['make', 'test'],
      cwd: 'src',
    });
  });

  it('with Accept: text/event-stream answers the SSE transcript whole when not streaming', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    const res = await api.call('POST', `/v1/workspaces/${id}/exec`, {
      body: { cmd: ['echo', 'hi'] },
      headers: { accept: 'text/event-stream' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events = res.body
      .trim()
      .split('\n\n')
      .map((block) =>
        Object.fromEntries(
          block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
        ),
      );
    expect(events.map((e) => e.event)).toEqual(['stdout', 'exit']);
    expect(events[0]!.data).toBe('echo hi');
    expect(JSON.parse(events[1]!.data!)).toEqual({ exitCode: 0, durationMs: 3, timedOut: false });
  });

  it('POST /exec/binary answers stdout base64-encoded with the exit code in a header', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    api.deps.workspaceAgent.onCommand = () => ({
      exitCode: 0,
      signal: null,
      stdout: bytes.toString('latin1'),
      stderr: '',
      durationMs: 4,
      timedOut: false,
      truncated: false,
    });
    const res = await api.call('POST', `/v1/workspaces/${id}/exec/binary`, {
      body: { cmd: ['cat', 'img.png'] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(true);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.from(res.body, 'base64')).toEqual(bytes);
    expect(res.headers['x-exit-code']).toBe('0');
    expect(res.headers['x-timed-out']).toBe('false');
    expect(res.headers['x-duration-ms']).toBe('4');
  });
});

describe('files', () => {
  it('PUT raw bytes (204), GET them back as octet-stream, list the directory, DELETE (204)', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    const content = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const put = await api.call('PUT', `/v1/workspaces/${id}/files`, {
      query: { path: '/workspace/out/data.bin' },
      body: content,
      base64: true,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.statusCode).toBe(204);
    expect(put.body).toBe('');
    const get = await api.call('GET', `/v1/workspaces/${id}/files`, { query: { path: 'out/data.bin' } });
    expect(get.statusCode).toBe(200);
    expect(get.headers['content-type']).toBe('application/octet-stream');
    expect(get.isBase64Encoded).toBe(true);
    expect(Buffer.from(get.body, 'base64')).toEqual(content);
    const dir = await api.call('GET', `/v1/workspaces/${id}/files`, { query: { path: 'out' } });
    expect(dir.json).toEqual({
      entries: [{ name: 'data.bin', type: 'file', size: 4, mtime: expect.any(String) }],
    });
    expect(
      (await api.call('DELETE', `/v1/workspaces/${id}/files`, { query: { path: 'out/data.bin' } }))
        .statusCode,
    ).toBe(204);
    const gone = await api.call('GET', `/v1/workspaces/${id}/files`, { query: { path: 'out/data.bin' } });
    expect(gone.statusCode).toBe(404);
    expect(gone.json.error.code).toBe('not_found');
  });

  it('a missing path parameter is invalid_path', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    const res = await api.call('GET', `/v1/workspaces/${id}/files`);
    expect(res.statusCode).toBe(400);
    expect(res.json.error.code).toBe('invalid_path');
  });
});
