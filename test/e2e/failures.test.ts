import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BASE_IMAGE } from '../../local-docker/src/images/names.js';
import { instanceOf, labelKeys } from '../../local-docker/src/runtime/labels.js';
import { uniq, useLocalBerth, type WorkspaceView } from '../support/local-berth.js';

// Things going wrong under a workspace: a container killed from outside, expiry, leaked containers, a host restart.
const b = useLocalBerth({ sweepIntervalMs: 500 });

const getWs = async (id: string) => (await b.api<WorkspaceView>('GET', `/v1/workspaces/${id}`)).json;
const putFile = (id: string, path: string, body: string | Buffer) =>
  b.api('PUT', `/v1/workspaces/${id}/files?path=${encodeURIComponent(path)}`, {
    body: Buffer.from(body),
    headers: { 'content-type': 'application/octet-stream' },
  });
const getFile = (id: string, path: string) =>
  b.api('GET', `/v1/workspaces/${id}/files?path=${encodeURIComponent(path)}`);
const inspectStatus = async (containerId: string) => {
  try {
    await b.docker.getContainer(containerId).inspect();
    return 200;
  } catch (e) {
    return (e as { statusCode?: number }).statusCode ?? 0;
  }
};

describe('a container killed from outside', () => {
  const conv = uniq('killed');
  let first: WorkspaceView;
  let containerId: string;
  const payload = randomBytes(4096);

  it('fails the workspace with a reason within 5 s and removes the container', async () => {
    first = (await b.createWorkspace(conv)).json;
    expect((await putFile(first.id, 'work/before-kill.bin', payload)).status).toBe(204);
    [{ Id: containerId }] = (await b.containersOf(first.id)) as unknown as [{ Id: string }];

    const killedAt = Date.now();
    await b.docker.getContainer(containerId).kill({ signal: 'SIGKILL' });
    const failed = await b.until(
      async () => {
        const ws = await getWs(first.id);
        return ws.status === 'failed' ? ws : null;
      },
      5000,
      'the workspace to fail',
    );
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(failed!.terminationReason).toMatch(/^(task_stopped:.+|oom|crashed)$/);
    // The dead container is cleaned up, not left behind.
    await b.until(async () => (await inspectStatus(containerId)) === 404, 5000, 'the dead container removed');
  });

  it('an exec on it answers 409 container_lost at once', async () => {
    const t0 = performance.now();
    const r = await b.exec(first.id, ['echo', 'hi']);
    expect(r.status).toBe(409);
    expect(r.json.error!.code).toBe('container_lost');
    expect(r.json.error!.message).toContain(first.id);
    expect(performance.now() - t0).toBeLessThan(2000);
    const file = await getFile(first.id, 'work/before-kill.bin');
    expect(file.status).toBe(409);
    expect(file.json.error.code).toBe('container_lost');
  });

  it('the next create for the conversation gives a new ready workspace with the files restored', async () => {
    const next = await b.createWorkspace(conv);
    expect(next.status).toBe(201);
    expect(next.json.id).not.toBe(first.id);
    expect(next.json.status).toBe('ready');
    expect((await b.exec(next.json.id, ['true'])).json.exitCode).toBe(0);
    // ARCHITECTURE.md §3: "the next request for that conversation gets a fresh workspace with files restored".
    const file = await getFile(next.json.id, 'work/before-kill.bin');
    expect(file.status).toBe(200);
    expect(file.bytes.equals(payload)).toBe(true);
    await b.api('DELETE', `/v1/workspaces/${next.json.id}`);
  });
});

describe('snapshots', () => {
  it('a file written, the workspace deleted, then re-created: restored from the snapshot', async () => {
    const conv = uniq('snap');
    const ws = (await b.createWorkspace(conv)).json;
    const data = randomBytes(64 * 1024);
    expect((await putFile(ws.id, 'deep/dir/data.bin', data)).status).toBe(204);
    await b.sh(
      ws.id,
      'printf "#!/bin/sh\\necho ran\\n" > tool.sh && chmod +x tool.sh && ln -s deep/dir/data.bin link',
    );
    expect((await b.api('DELETE', `/v1/workspaces/${ws.id}`)).status).toBe(202);
    await b.until(async () => (await getWs(ws.id)).status === 'stopped', 5000, 'stopped');

    const again = await b.createWorkspace(conv);
    expect(again.status).toBe(201);
    expect(again.json.id).not.toBe(ws.id);
    const file = await getFile(again.json.id, 'deep/dir/data.bin');
    expect(file.status).toBe(200);
    expect(file.bytes.equals(data)).toBe(true);
    // Modes and links survive too.
    expect(await b.sh(again.json.id, './tool.sh && readlink link')).toBe('ran\ndeep/dir/data.bin\n');

    // Another conversation of the same tenant does not see these files.
    const other = (await b.createWorkspace(uniq('snap-other'))).json;
    expect((await getFile(other.id, 'deep/dir/data.bin')).status).toBe(404);
    await b.api('DELETE', `/v1/workspaces/${other.id}`);
    await b.api('DELETE', `/v1/workspaces/${again.json.id}`);
  });
});

describe('snapshots of paused workspaces', () => {
  it('deleting a paused workspace still syncs its files', async () => {
    const conv = uniq('snap-paused');
    const ws = (await b.createWorkspace(conv)).json;
    expect((await putFile(ws.id, 'paused.txt', 'frozen')).status).toBe(204);
    expect((await b.api('POST', `/v1/workspaces/${ws.id}/pause`)).status).toBe(200);
    expect((await b.api('DELETE', `/v1/workspaces/${ws.id}`)).status).toBe(202);
    await b.until(async () => (await getWs(ws.id)).status === 'stopped', 5000, 'stopped');
    expect((await getWs(ws.id)).terminationReason).toBe('deleted');
    expect(await b.containersOf(ws.id)).toHaveLength(0);
    const next = (await b.createWorkspace(conv)).json;
    expect((await getFile(next.id, 'paused.txt')).text).toBe('frozen');
    await b.api('DELETE', `/v1/workspaces/${next.id}`);
  });
});

describe('the sweep', () => {
  it('destroys an expired workspace: stopped with reason expired, container gone, files kept', async () => {
    const conv = uniq('expire');
    const ws = (await b.createWorkspace(conv, { ttlSeconds: 60 })).json;
    expect(Date.parse(ws.expiresAt) - Date.parse(ws.createdAt)).toBe(60_000);
    expect((await putFile(ws.id, 'kept.txt', 'still here')).status).toBe(204);
    const [container] = await b.containersOf(ws.id);

    // Let the lease run out (the API's minimum is 60 s): move expiresAt into the past in the store.
    const { store } = b.host.deps;
    const record = await store.get(ws.id, { now: Date.now(), includeExpired: true });
    await store.update(ws.id, record!.version, { expiresAt: Date.now() - 1000 });
    // An expired lease is invisible at once, even before the sweep ran (reads never trust TTL).
    const hidden = await b.api('GET', `/v1/workspaces/${ws.id}`);
    expect([404, 200]).toContain(hidden.status);
    if (hidden.status === 200) expect(hidden.json.status).toBe('stopped');

    await b.host.sweepNow();
    const swept = await b.until(
      async () => {
        const r = await b.api<WorkspaceView>('GET', `/v1/workspaces/${ws.id}`);
        return r.status === 200 && r.json.status === 'stopped' ? r.json : null;
      },
      5000,
      'the expired workspace stopped',
    );
    expect(swept!.terminationReason).toBe('expired');
    expect(await inspectStatus(container!.Id)).toBe(404);
    expect(await b.containersOf(ws.id)).toHaveLength(0);

    // Expiry syncs files like a delete: the conversation's next workspace has them.
    const next = (await b.createWorkspace(conv)).json;
    expect(next.id).not.toBe(ws.id);
    expect((await getFile(next.id, 'kept.txt')).text).toBe('still here');
    await b.api('DELETE', `/v1/workspaces/${next.id}`);
  });

  it("removes a Berth-labelled container that no record owns, not another local Berth's", async () => {
    const keys = labelKeys(b.labelPrefix);
    // Same label prefix and engine, other state dir (another checkout's `npm start`): its containers are its own.
    const start = async (instance?: string) => {
      const id = `ws_orphan${randomBytes(8).toString('hex')}`;
      b.track(id);
      const container = await b.docker.createContainer({
        Image: BASE_IMAGE,
        Entrypoint: ['sleep'],
        Cmd: ['300'],
        Labels: {
          [keys.managed]: 'true',
          ...(instance ? { [keys.instance]: instance } : {}),
          [keys.workspaceId]: id,
          [keys.tenantId]: 'tenantA',
          [keys.template]: 'default',
        },
        HostConfig: { NetworkMode: 'none', AutoRemove: false },
      });
      await container.start();
      expect((await container.inspect()).State.Running).toBe(true);
      return container;
    };
    const orphan = await start(); // labelled before instances existed: this Berth's
    const others = await start(instanceOf('/somewhere/else/.berth'));

    const report = await b.host.sweepNow();
    await b.until(async () => (await inspectStatus(orphan.id)) === 404, 5000, 'the orphan removed');
    // Either this sweep or the timer's concurrent one removed it; both count it.
    expect(report.errors).toBe(0);
    await b.host.sweepNow();
    expect((await others.inspect()).State.Running).toBe(true);
    await others.remove({ force: true });
  });
});

describe('restarting the local host', () => {
  it('keeps workspaces usable: same id, exec works, files there', async () => {
    const ws = (await b.createWorkspace(uniq('restart'))).json;
    await b.sh(ws.id, 'echo persisted > note.txt');
    await b.restart();
    expect(b.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const got = await getWs(ws.id);
    expect(got).toMatchObject({ id: ws.id, status: 'ready', terminationReason: null });
    const r = await b.exec(ws.id, ['cat', 'note.txt']);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ exitCode: 0, stdout: 'persisted\n' });
    // The same conversation still maps to it.
    const again = await b.createWorkspace(ws.conversationId);
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(ws.id);
    // And the new host still reacts to container deaths.
    const [container] = await b.containersOf(ws.id);
    await b.docker.getContainer(container!.Id).kill();
    await b.until(async () => (await getWs(ws.id)).status === 'failed', 5000, 'failed after restart');
  });
});
