import { connect } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/host/api-server.js';

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer({
    handlers: {
      buffered: async () => ({
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
      streaming: async () => undefined,
    },
    maxBodyBytes: 1024,
    port: 0,
    host: '127.0.0.1',
    logger: new Logger({ logLevel: 'SILENT' }),
  });
});
afterAll(() => server.close());

/** Sends `raw` bytes as they are and reads until the server closes. */
function raw(request: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(Buffer.from(request, 'latin1')));
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('requests the HTTP parser refuses', () => {
  it.each([
    ['an unknown method', 'FOO / HTTP/1.1\r\nhost: x\r\n\r\n', 400, 'invalid_request'],
    ['a lowercase method', 'get /health HTTP/1.1\r\nhost: x\r\n\r\n', 400, 'invalid_request'],
    ['a non-ASCII target', 'GET /v1/workspaces/\xff HTTP/1.1\r\nhost: x\r\n\r\n', 400, 'invalid_request'],
    [
      'two different lengths',
      'POST /v1/workspaces HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}',
      400,
      'invalid_request',
    ],
    [
      'a length next to chunked',
      'POST /v1/workspaces HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 2\r\n\r\n{}',
      400,
      'invalid_request',
    ],
    [
      'headers over 16 KiB',
      `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'v'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
  ])('%s: API.md error shape, not a bare status line', async (_what, request, status, code) => {
    const answer = await raw(request);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toMatch(/\r\ncontent-type: application\/json\r\n/);
    expect(JSON.parse(body!)).toEqual({
      error: { code, message: expect.any(String), requestId: expect.any(String) },
    });
  });

  it('a request without Host (an HTTP/1.0 client) is served', async () => {
    const answer = await raw('GET /health HTTP/1.0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 200 /);
  });
});
