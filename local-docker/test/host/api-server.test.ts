import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it } from 'vitest';
import {
  servedStreaming,
  startApiServer,
  type ApiHandlers,
  type ApiServer,
} from '../../src/host/api-server.js';

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Records which deployment served each request. */
async function serveBoth() {
  const served: string[] = [];
  const handlers: ApiHandlers = {
    buffered: async (event) => {
      served.push(`buffered ${(event as { rawPath: string }).rawPath}`);
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from([0, 1, 2, 255]).toString('base64'),
        isBase64Encoded: true,
      };
    },
    streaming: async (event, stream) => {
      served.push(`streaming ${(event as { rawPath: string }).rawPath}`);
      stream.setMetadata({ statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
      stream.write('event: exit\ndata: {}\n\n');
      stream.end();
    },
  };
  server = await startApiServer({
    handlers,
    maxBodyBytes: 1024,
    port: 0,
    host: '127.0.0.1',
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  return { served, url: server.url };
}

describe('local API server', () => {
  it('sends a request for an event stream to the streaming deployment, any other to the buffered one', async () => {
    const { served, url } = await serveBoth();
    const plain = await fetch(`${url}/v1/workspaces/ws_1/exec`, { method: 'POST', body: '{}' });
    expect(plain.headers.get('content-length')).toBe('4');
    expect([...new Uint8Array(await plain.arrayBuffer())]).toEqual([0, 1, 2, 255]); // base64 decoded
    const sse = await fetch(`${url}/v1/workspaces/ws_1/exec`, {
      method: 'POST',
      body: '{}',
      headers: { accept: 'text/event-stream' },
    });
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    expect(await sse.text()).toBe('event: exit\ndata: {}\n\n');
    expect(served).toEqual(['buffered /v1/workspaces/ws_1/exec', 'streaming /v1/workspaces/ws_1/exec']);
  });

  it('sends POST .../execute to the streaming deployment whatever Accept says (it only answers SSE)', async () => {
    const { served, url } = await serveBoth();
    const r = await fetch(`${url}/v1/workspaces/ws_1/execute`, {
      method: 'POST',
      body: '{"prompt":"hi"}',
      headers: { accept: 'application/json' },
    });
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    expect(await r.text()).toBe('event: exit\ndata: {}\n\n');
    expect(served).toEqual(['streaming /v1/workspaces/ws_1/execute']);
  });

  it.each([
    ['POST', '/v1/workspaces/ws_1/execute', undefined, true],
    ['POST', '/v1/workspaces/ws_1/execute/', undefined, true],
    ['POST', '/v1/workspaces/ws_1/execute?trace=1', undefined, true],
    ['POST', '/v1/workspaces/ws_1/exec', 'text/event-stream', true],
    ['GET', '/v1/workspaces/ws_1', 'application/json, text/event-stream', true],
    ['POST', '/v1/workspaces/ws_1/exec', undefined, false],
    ['GET', '/v1/workspaces/ws_1/execute', undefined, false],
    ['POST', '/v1/workspaces/ws_1/executes', undefined, false],
    ['POST', '/v1/workspaces/ws_1/files/execute', undefined, false],
    ['POST', '/v1/workspaces', 'application/json', false],
    ['GET', '/v1/workspaces/ws_1/files?path=big.bin', undefined, true],
    ['GET', '/v1/workspaces/ws_1/files', '*/*', true],
    ['PUT', '/v1/workspaces/ws_1/files?path=a', undefined, false],
    ['GET', '/v1/workspaces/ws_1/files/uploads', undefined, false],
    ['POST', '/v1/workspaces/ws_1/exec/binary', undefined, true],
    ['POST', '/v1/workspaces/ws_1/exec/binaryx', undefined, false],
  ])('%s %s (Accept %s) is served streaming: %s', (method, url, accept, streaming) => {
    expect(servedStreaming({ method, url, headers: accept ? { accept } : {} })).toBe(streaming);
  });

  it('refuses a body over the limit with 413 before either deployment sees it', async () => {
    const { served, url } = await serveBoth();
    const r = await fetch(`${url}/v1/workspaces`, { method: 'POST', body: 'x'.repeat(2048) });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    expect(served).toEqual([]);
  });
});
