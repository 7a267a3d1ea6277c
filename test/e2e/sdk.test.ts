import { describe, expect, it } from 'vitest';
import { Berth, BerthApiError, type CommandEvent, type Workspace } from '@berth/sdk';
import { uniq, useLocalBerth } from '../support/local-berth.js';

// @berth/sdk against the real local Berth (real handlers, Docker, DynamoDB Local): what a user's code does.
const b = useLocalBerth();
const client = (key: string) => new Berth({ baseUrl: b.url, apiKey: key });

describe('@berth/sdk end to end', () => {
  let ws: Workspace;

  it('create with wait answers a ready workspace; creating again gives the same one', async () => {
    const conversationId = uniq('sdk');
    ws = await client(b.keys.A).workspaces.create({ conversationId, labels: { via: 'sdk' }, wait: true });
    b.track(ws.id);
    expect(ws.info).toMatchObject({
      conversationId,
      status: 'ready',
      labels: { via: 'sdk' },
      runtime: 'docker',
    });
    expect((await client(b.keys.A).workspaces.create({ conversationId })).id).toBe(ws.id);
  });

  it('commands.run and commands.stream', async () => {
    expect(await ws.commands.run(['echo', 'hi'])).toMatchObject({
      exitCode: 0,
      stdout: 'hi\n',
      stderr: '',
      timedOut: false,
      truncated: false,
    });
    const events: CommandEvent[] = [];
    for await (const e of ws.commands.stream(['sh', '-c', 'echo one; sleep 0.2; echo two'])) events.push(e);
    const stdout = events.filter((e) => e.event === 'stdout').map((e) => e.data);
    expect(stdout.join('')).toBe('one\ntwo\n');
    expect(events[0]!.event).toBe('stdout');
    expect(events.at(-1)).toMatchObject({ event: 'exit', data: { exitCode: 0, timedOut: false } });
  });

  it('files: every byte value written, read back exact, listed, removed', async () => {
    const bytes = new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) % 256));
    await ws.files.write('sdk dir/all bytes.bin', bytes);
    expect(Buffer.from(await ws.files.read('sdk dir/all bytes.bin')).equals(Buffer.from(bytes))).toBe(true);
    expect(
      Buffer.from((await ws.commands.runBinary(['cat', 'sdk dir/all bytes.bin'])).stdout).equals(
        Buffer.from(bytes),
      ),
    ).toBe(true);
    expect(await ws.files.list('sdk dir')).toEqual([
      expect.objectContaining({ name: 'all bytes.bin', type: 'file', size: bytes.length }),
    ]);
    await ws.files.remove('sdk dir/all bytes.bin');
    expect(await ws.files.list('/workspace/sdk dir')).toEqual([]);
    await expect(ws.files.read('sdk dir/all bytes.bin')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });

  it("another tenant's client gets 404 not_found for the workspace", async () => {
    const e = await client(b.keys.B)
      .workspaces.get(ws.id)
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BerthApiError);
    expect(e).toMatchObject({ status: 404, code: 'not_found' });
    expect((e as BerthApiError).requestId).toBeTruthy();
  });

  it('delete, then get shows it stopped', async () => {
    const deleted = await ws.delete();
    expect(['stopping', 'stopped']).toContain(deleted.status);
    const stopped = await b.until(
      async () => ((await ws.refresh()).status === 'stopped' ? ws.info : null),
      30_000,
      'stopped',
      200,
    );
    expect(stopped).toMatchObject({ id: ws.id, status: 'stopped', terminationReason: 'deleted' });
    expect((await client(b.keys.A).workspaces.get(ws.id)).status).toBe('stopped');
  });
});
