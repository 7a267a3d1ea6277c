import { BerthApiError, BerthError, INLINE_WRITE_MAX_BYTES, type FileDownload } from '@berth/sdk';
import { describe, expect, it } from 'vitest';
import { API_KEY, apiError, json, useFakeBerth, view } from './support/fake-berth.js';

// Large files: the SDK asks Berth for a presigned URL, moves the bytes to it itself (no API key: the URL is
// signed), then tells Berth. The fake serves both Berth and "object storage" (`/storage/...`).
const fake = useFakeBerth();

async function workspace() {
  fake.handle((_req, res) => json(res, 200, view('ws_1')));
  const w = await fake.client().workspaces.get('ws_1');
  fake.requests.length = 0;
  return w;
}

const presigned = (method: 'PUT' | 'GET', size: number) => ({
  method,
  url: `${fake.url}/storage/k?X-Amz-Signature=abc`,
  headers: { 'x-amz-meta-test': '1' },
  expiresAt: '2026-01-01T00:15:00.000Z',
  size,
});

describe('files.upload', () => {
  it('asks for a URL with the size, PUTs the bytes there without the API key, then completes', async () => {
    const w = await workspace();
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    fake.handle((req, res) => {
      if (req.path === '/v1/workspaces/ws_1/files/uploads')
        return json(res, 201, {
          uploadId: 'upl_1',
          ...presigned('PUT', (req.json as { size: number }).size),
        });
      if (req.path === '/storage/k') return void res.writeHead(200).end();
      res.writeHead(204).end();
    });
    await w.files.upload('dir/big.bin', bytes);
    const [create, put, complete] = fake.requests;
    expect(create).toMatchObject({ method: 'POST', json: { path: 'dir/big.bin', size: 300_000 } });
    expect(put).toMatchObject({ method: 'PUT', url: '/storage/k?X-Amz-Signature=abc' });
    expect(put!.headers.authorization).toBeUndefined();
    expect(put!.headers['x-amz-meta-test']).toBe('1');
    expect(put!.headers['content-length']).toBe('300000');
    expect(Buffer.from(put!.body).equals(Buffer.from(bytes))).toBe(true);
    expect(complete).toMatchObject({
      method: 'POST',
      path: '/v1/workspaces/ws_1/files/uploads/upl_1/complete',
    });
    expect(complete!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('a Blob goes as it is; a string as UTF-8', async () => {
    const w = await workspace();
    fake.handle((req, res) => {
      if (req.path.endsWith('/uploads')) return json(res, 201, { uploadId: 'upl_1', ...presigned('PUT', 0) });
      res.writeHead(req.path === '/storage/k' ? 200 : 204).end();
    });
    await w.files.upload('a.txt', new Blob(['héllo']));
    await w.files.upload('b.txt', 'héllo');
    const puts = fake.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((p) => p.body.toString('utf8'))).toEqual(['héllo', 'héllo']);
    expect(
      fake.requests.filter((r) => r.path.endsWith('/uploads')).map((r) => (r.json as { size: number }).size),
    ).toEqual([6, 6]);
  });

  it('storage refusing the PUT is a BerthError and nothing is completed; Berth refusing is its API error', async () => {
    const w = await workspace();
    fake.handle((req, res) => {
      if (req.path.endsWith('/uploads')) return json(res, 201, { uploadId: 'upl_1', ...presigned('PUT', 1) });
      res.writeHead(403).end('<Error>SignatureDoesNotMatch</Error>');
    });
    await expect(w.files.upload('a', 'x')).rejects.toThrow(BerthError);
    await expect(w.files.upload('a', 'x')).rejects.toThrow(/403.*SignatureDoesNotMatch/);
    expect(fake.requests.some((r) => r.path.endsWith('/complete'))).toBe(false);

    fake.handle((_req, res) => apiError(res, 422, 'unprocessable'));
    const e = await w.files.upload('a', 'x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BerthApiError);
    expect((e as BerthApiError).status).toBe(422);
  });
});

describe('files.write of a large file', () => {
  const big = () => new Uint8Array(INLINE_WRITE_MAX_BYTES + 1).map((_, i) => i % 253);

  it('over 4 MiB goes through a presigned upload (what a deployed API Gateway can take)', async () => {
    const w = await workspace();
    fake.handle((req, res) => {
      if (req.path.endsWith('/uploads'))
        return json(res, 201, { uploadId: 'upl_9', ...presigned('PUT', INLINE_WRITE_MAX_BYTES + 1) });
      res.writeHead(req.path === '/storage/k' ? 200 : 204).end();
    });
    const bytes = big();
    await w.files.write('big.bin', bytes);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/workspaces/ws_1/files/uploads',
      'PUT /storage/k',
      'POST /v1/workspaces/ws_1/files/uploads/upl_9/complete',
    ]);
    expect(Buffer.from(fake.requests[1]!.body).equals(Buffer.from(bytes))).toBe(true);
  });

  it('where there is no object storage (422 unprocessable at the first call), sends the bytes inline', async () => {
    const w = await workspace();
    fake.handle((req, res) => {
      if (req.path.endsWith('/uploads')) return apiError(res, 422, 'unprocessable');
      res.writeHead(204).end();
    });
    const bytes = big();
    await w.files.write('big.bin', bytes);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/workspaces/ws_1/files/uploads',
      'PUT /v1/workspaces/ws_1/files',
    ]);
    expect(Buffer.from(fake.requests[1]!.body).equals(Buffer.from(bytes))).toBe(true);
  });

  it('any other refusal is the error; 4 MiB and less is always inline', async () => {
    const w = await workspace();
    fake.handle((req, res) => {
      if (req.path.endsWith('/uploads')) return apiError(res, 404, 'not_found');
      res.writeHead(204).end();
    });
    await expect(w.files.write('big.bin', big())).rejects.toMatchObject({ status: 404 });
    expect(fake.requests.some((r) => r.method === 'PUT')).toBe(false);
    fake.requests.length = 0;
    await w.files.write('edge.bin', new Uint8Array(INLINE_WRITE_MAX_BYTES));
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /v1/workspaces/ws_1/files']);
  });
});

describe('files.downloadUrl', () => {
  it('POSTs the path and answers the presigned GET as the server gave it', async () => {
    const w = await workspace();
    const answer = presigned('GET', 42);
    fake.handle((_req, res) => json(res, 201, answer));
    const got: FileDownload = await w.files.downloadUrl('/workspace/out.bin');
    expect(got).toEqual(answer);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/workspaces/ws_1/files/downloads',
      json: { path: '/workspace/out.bin' },
    });
  });
});
