import type { ContainerSpec } from '@berth/core';
import { describe, expect, it } from 'vitest';
import {
  workspaceAgentEnv,
  containerCreateOptions,
  hardenedHostConfig,
} from '../../src/runtime/hardening.js';

/** An Ed25519 public key in its text form (not secret: every workspace's agent gets it). */
const PUBLIC_KEY = 'MCowBQYDK2VwAyEA-not-checked-here-only-passed-on';

const spec: ContainerSpec = {
  workspaceId: 'ws_abc',
  tenantId: 'tenant-1',
  template: 'default',
  image: 'berth/workspace:latest',
  limits: { cpus: 2, memoryMiB: 2048, pids: 100, diskMiB: 5120 },
  env: { FOO: 'bar' },
};
const dirs = {
  engineDirs: {
    files: '/engine/ws_abc/disk/files',
    agent: '/engine/ws_abc/disk/agent',
    host: '/engine/ws_abc/host',
  },
};
const GiB = 1024 ** 3;

describe('hardenedHostConfig (ARCHITECTURE.md §4 hardening list)', () => {
  const hc = hardenedHostConfig({ spec, ...dirs });

  it('has no network at all', () => expect(hc.NetworkMode).toBe('none'));
  it('has a read-only root', () => expect(hc.ReadonlyRootfs).toBe(true));
  it('mounts tmpfs /tmp, /var/tmp and the agent home (owned by the agent), all nosuid,nodev and sized', () => {
    expect(hc.Tmpfs).toEqual({
      '/tmp': 'rw,exec,nosuid,nodev,size=256m',
      '/var/tmp': 'rw,exec,nosuid,nodev,size=256m',
      '/home/agent': 'rw,exec,nosuid,nodev,size=64m,uid=1000,gid=1000',
    });
  });
  it('drops every capability and forbids privilege gain', () => {
    expect(hc.CapDrop).toEqual(['ALL']);
    expect(hc.CapAdd).toBeUndefined();
    expect(hc.Privileged).toBe(false);
    expect(hc.SecurityOpt).toEqual(['no-new-privileges:true']);
  });
  it("keeps Docker's default seccomp profile (no seccomp/apparmor override)", () => {
    expect((hc.SecurityOpt as string[]).some((o) => /seccomp|apparmor/.test(o))).toBe(false);
  });
  it('limits pids, CPU and memory, with swap equal to memory (no swap)', () => {
    expect(hc.PidsLimit).toBe(100);
    expect(hc.NanoCpus).toBe(2e9);
    expect(hc.Memory).toBe(2 * GiB);
    expect(hc.MemorySwap).toBe(2 * GiB);
  });
  it('scales fractional CPUs', () => {
    const half = hardenedHostConfig({
      spec: { ...spec, limits: { cpus: 0.5, memoryMiB: 64, pids: 16, diskMiB: 64 } },
      ...dirs,
    });
    expect(half).toMatchObject({
      NanoCpus: 5e8,
      Memory: 64 * 1024 ** 2,
      MemorySwap: 64 * 1024 ** 2,
      PidsLimit: 16,
    });
  });
  it('is the first victim of a host-wide OOM', () => expect(hc.OomScoreAdj).toBeGreaterThan(0));
  it('has private IPC, an init, no auto-remove and no restart', () => {
    expect(hc.IpcMode).toBe('private');
    expect(hc.Init).toBe(true);
    expect(hc.AutoRemove).toBe(false);
    expect(hc.RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
  });
  it('bind-mounts the files and agent dirs rw and the host dir (proxy socket) READ-ONLY, nothing else', () => {
    expect(hc.Binds).toBeUndefined();
    expect(hc.Mounts).toEqual([
      { Type: 'bind', Source: '/engine/ws_abc/disk/files', Target: '/workspace', ReadOnly: false },
      { Type: 'bind', Source: '/engine/ws_abc/disk/agent', Target: '/run/berth/agent', ReadOnly: false },
      { Type: 'bind', Source: '/engine/ws_abc/host', Target: '/run/berth/host', ReadOnly: true },
    ]);
  });
  it('publishes no ports and adds no devices', () => {
    expect(hc.PortBindings).toBeUndefined();
    expect(hc.Devices).toBeUndefined();
  });
  it('bounds the log size', () => expect(hc.LogConfig?.Config).toMatchObject({ 'max-size': '10m' }));
});

describe('containerCreateOptions', () => {
  const opts = containerCreateOptions({
    spec,
    agentPublicKey: PUBLIC_KEY,
    name: 'berth-ws_abc',
    labelPrefix: 'dev.berth',
    instance: 'inst1',
    ...dirs,
  });

  it('runs as the non-root agent user', () => expect(opts.User).toBe('1000:1000'));
  it('names and labels the container', () => {
    expect(opts.name).toBe('berth-ws_abc');
    expect(opts.Image).toBe('berth/workspace:latest');
    expect(opts.Labels).toEqual({
      'dev.berth.managed': 'true',
      'dev.berth.instance': 'inst1',
      'dev.berth.workspace-id': 'ws_abc',
      'dev.berth.tenant-id': 'tenant-1',
      'dev.berth.template': 'default',
    });
  });
  it("keeps the image's own entrypoint unless a command replaces it", () => {
    expect(opts.Entrypoint).toBeUndefined();
    expect(opts.Cmd).toBeUndefined();
    const cmd = containerCreateOptions({
      spec,
      agentPublicKey: PUBLIC_KEY,
      name: 'n',
      labelPrefix: 'p',
      instance: 'i',
      ...dirs,
      command: ['node', '-e', '1'],
    });
    expect(cmd.Entrypoint).toEqual(['node', '-e', '1']);
    expect(cmd.Cmd).toBeUndefined();
    expect(cmd.Labels?.['p.managed']).toBe('true');
  });
  it('embeds the hardened host config', () =>
    expect(opts.HostConfig).toEqual(hardenedHostConfig({ spec, ...dirs })));
});

describe('workspaceAgentEnv', () => {
  it('tells the agent where to listen, its workspace id and token public key, its workspace dir, plus the extra env', () => {
    expect(workspaceAgentEnv(spec, PUBLIC_KEY)).toEqual(
      expect.arrayContaining([
        'AGENT_LISTEN_MODE=uds',
        'AGENT_SOCKET=/run/berth/agent/agent.sock',
        `AGENT_WORKSPACE_ID=${spec.workspaceId}`,
        `AGENT_TOKEN_PUBLIC_KEY=${PUBLIC_KEY}`,
        'AGENT_WORKSPACE_DIR=/workspace',
        'AGENT_PROXY_SOCKET=/run/berth/host/proxy.sock',
        'HOME=/home/agent',
        'FOO=bar',
      ]),
    );
  });
  it("does not let spec.env override Berth's keys", () => {
    const env = workspaceAgentEnv(
      {
        ...spec,
        env: {
          AGENT_SOCKET: '/elsewhere',
          AGENT_PROXY_SOCKET: '/workspace/p.sock',
          AGENT_WORKSPACE_ID: 'ws_other',
          AGENT_TOKEN_PUBLIC_KEY: 'a-key-of-its-own',
          HOME: '/h',
        },
      },
      PUBLIC_KEY,
    );
    expect(env).toContain('AGENT_SOCKET=/run/berth/agent/agent.sock');
    expect(env).toContain(`AGENT_WORKSPACE_ID=${spec.workspaceId}`);
    expect(env).toContain(`AGENT_TOKEN_PUBLIC_KEY=${PUBLIC_KEY}`);
    expect(env).toContain('AGENT_PROXY_SOCKET=/run/berth/host/proxy.sock');
    expect(env.join('\n')).not.toContain('a-key-of-its-own');
    expect(env).toContain('HOME=/h');
    expect(env.filter((e) => e.startsWith('AGENT_SOCKET='))).toHaveLength(1);
  });
});
