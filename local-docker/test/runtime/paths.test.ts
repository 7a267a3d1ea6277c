import { describe, expect, it } from 'vitest';
import {
  agentSocketPath,
  assertSafeWorkspaceId,
  proxySocketPath,
  workspaceDirs,
} from '../../src/runtime/paths.js';

describe('workspaceDirs', () => {
  it('puts the disk (files, agent) and the root-only host dir under <stateDir>/workspaces/<id>', () => {
    expect(workspaceDirs('/state', 'ws_1')).toEqual({
      root: '/state/workspaces/ws_1',
      image: '/state/workspaces/ws_1/disk.img',
      disk: '/state/workspaces/ws_1/disk',
      files: '/state/workspaces/ws_1/disk/files',
      agent: '/state/workspaces/ws_1/disk/agent',
      host: '/state/workspaces/ws_1/host',
    });
    expect(agentSocketPath('/state', 'ws_1')).toBe('/state/workspaces/ws_1/disk/agent/agent.sock');
    expect(proxySocketPath('/state', 'ws_1')).toBe('/state/workspaces/ws_1/host/proxy.sock');
  });

  it.each(['', '..', '../etc', 'a/b', '.hidden', 'a..b', 'x'.repeat(129), 'ws 1'])('refuses %j', (id) => {
    expect(() => assertSafeWorkspaceId(id)).toThrow(/invalid workspace id/);
  });

  it('accepts core workspace ids', () => {
    expect(() => assertSafeWorkspaceId('ws_mi3k2l0a1b2c3d4e5f6a7b8c9d0')).not.toThrow();
  });
});
