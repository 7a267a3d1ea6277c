import { describe, expect, it } from 'vitest';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { uniq, useLocalBerth, type AnyJson } from '../support/local-berth.js';
import { afterAll, beforeAll } from 'vitest';

// The warm pool on real Docker: members started ahead, frozen, holding nothing of anyone's; a claim binds the
// conversation's identity (files, egress rules) to one; killed or outdated members are replaced.

let upstream: RecordingUpstream;
beforeAll(async () => {
  upstream = await startRecordingUpstream();
});
afterAll(() => upstream?.close());

const b = useLocalBerth({
  pools: { default: { min: 1, max: 1 } },
  // Its one member waits frozen (none kept thawed ahead: core's pool tests cover that).
  config: { pool: { freezeWarm: true, thawedAhead: 0 } },
  egress: () => ({
    allowDomains: [],
    allowLoopback: true,
    testHosts: { 'tenant.test': ['127.0.0.1'] },
  }),
});

const pool = async () => (await b.api('GET', '/v1/pool')).json.templates[0] as AnyJson;
const warmMember = () =>
  b.until(
    async () => {
      const p = await pool();
      if (p.warm !== 1) return undefined;
      const containers = await b.docker.listContainers({
        filters: { label: [`${b.labelPrefix}.tenant-id=~pool`] },
      });
      return containers.find((c) => c.State === 'paused');
    },
    30_000,
    'a frozen warm member',
    100,
  );

/** Runs a shell script inside a container as the workspace user, thawing it for the look if it is frozen. */
async function inside(containerId: string, script: string): Promise<string> {
  const container = b.docker.getContainer(containerId);
  const frozen = (await container.inspect()).State.Paused;
  if (frozen) await container.unpause();
  try {
    const exec = await container.exec({ Cmd: ['sh', '-c', script], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((r) => stream.on('end', r));
    // Docker multiplexes stdout/stderr with 8-byte frame headers.
    const raw = Buffer.concat(chunks);
    const out: Buffer[] = [];
    for (let i = 0; i + 8 <= raw.length; ) {
      const size = raw.readUInt32BE(i + 4);
      out.push(raw.subarray(i + 8, i + 8 + size));
      i += 8 + size;
    }
    return Buffer.concat(out).toString();
  } finally {
    if (frozen) await container.pause();
  }
}

const curlStatus = (url: string) =>
  `curl -s -o /dev/null -w '%{http_code}' -m 5 -x http://127.0.0.1:3128 ${url} || true`;

describe('warm pool (local Docker)', () => {
  it('a member holds nothing of a tenant before its claim; after it, the conversation files and egress rules', async () => {
    const conversationId = uniq('conv');
    const url = `http://tenant.test:${upstream.port}/hello`;
    // The conversation's first workspace: a file, then deleted (its files saved).
    const first = (await b.createWorkspace(conversationId)).json;
    await b.sh(first.id, 'echo kept > /workspace/notes.txt');
    expect((await b.api('DELETE', `/v1/workspaces/${first.id}`)).status).toBe(202);
    await b.until(
      async () => (await b.api('GET', `/v1/workspaces/${first.id}`)).json.status === 'stopped',
      20_000,
      'stopped',
    );

    const member = (await warmMember())!;
    const memberId = member.Labels[`${b.labelPrefix}.workspace-id`]!;
    const look = await inside(
      member.Id,
      `ls -A /workspace; echo "--"; env | grep -v '^AGENT_TOKEN_PUBLIC_KEY=' | grep -ci -e key -e token -e secret -e tenant -e password; echo "--"; ${curlStatus(url)}`,
    );
    const [files, secrets, status] = look.split('--').map((s) => s.trim());
    expect(files).toBe('');
    expect(secrets).toBe('0'); // the agent's token-verifying public key aside, nothing secret-shaped
    expect(status).toBe('403');

    const claimed = await b.createWorkspace(conversationId);
    expect(claimed.status).toBe(201);
    expect(claimed.json).toMatchObject({ id: memberId, fromPool: true, status: 'ready', conversationId });
    expect(await b.sh(memberId, 'cat /workspace/notes.txt')).toBe('kept\n');
    // The tenant's rules, put after the claim, are the ones in force.
    expect((await b.exec(memberId, ['sh', '-c', curlStatus(url)])).json.stdout).toBe('403');
    const put = await b.api('PUT', `/v1/workspaces/${memberId}/egress`, {
      body: { allowDomains: [`tenant.test:${upstream.port}`] },
    });
    expect(put.status, put.text).toBe(200);
    expect((await b.exec(memberId, ['sh', '-c', curlStatus(url)])).json.stdout).toBe('200');
    // Another tenant cannot see or use it.
    expect((await b.api('GET', `/v1/workspaces/${memberId}`, { key: b.keys.B })).status).toBe(404);

    // The claim is replaced by a new member; the pool reports the claim.
    const replacement = (await warmMember())!;
    expect(replacement.Labels[`${b.labelPrefix}.workspace-id`]).not.toBe(memberId);
    const report = await pool();
    expect(report).toMatchObject({ template: 'default', target: 1, warm: 1 });
    expect(report.claims).toBeGreaterThanOrEqual(1);
    expect(report.misses).toBeGreaterThanOrEqual(1);
  });

  it('a warm member killed from outside is replaced', async () => {
    const member = (await warmMember())!;
    await b.docker.getContainer(member.Id).remove({ force: true });
    const next = (await warmMember())!;
    expect(next.Id).not.toBe(member.Id);
  });

  it('a member built from older template settings is drained and replaced', async () => {
    const member = (await warmMember())!;
    const memberId = member.Labels[`${b.labelPrefix}.workspace-id`]!;
    // The template changes under the pool (as a new image or new limits would): its member is outdated.
    b.host.deps.config.templates.default!.pids = 101;
    try {
      await b.host.refillNow();
      const next = (await warmMember())!;
      expect(next.Labels[`${b.labelPrefix}.workspace-id`]).not.toBe(memberId);
      const drained = await b.host.deps.store.get(memberId, { now: Date.now(), includeExpired: true });
      expect(drained).toMatchObject({ status: 'stopped', terminationReason: 'drained' });
    } finally {
      b.host.deps.config.templates.default!.pids = 100;
    }
  });
});
