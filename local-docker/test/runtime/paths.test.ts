import { describe, expect, it } from 'vitest';
import { agentSocketPath, assertSafeWorkspaceId, workspaceDirs } from '../../src/runtime/paths.js';

describe('workspaceDirs', () => {
  it('puts run and files under <stateDir>/workspaces/<id>', () => {
    expect(workspaceDirs('/state', 'ws_1')).toEqual({
      root: '/state/workspaces/ws_1',
      run: '/state/workspaces/ws_1/run',
      files: '/state/workspaces/ws_1/files',
    });
    expect(agentSocketPath('/state', 'ws_1')).toBe('/state/workspaces/ws_1/run/agent.sock');
  });

  it.each(['', '..', '../etc', 'a/b', '.hidden', 'a..b', 'x'.repeat(129), 'ws 1'])('refuses %j', (id) => {
    expect(() => assertSafeWorkspaceId(id)).toThrow(/invalid workspace id/);
  });

  it('accepts core workspace ids', () => {
    expect(() => assertSafeWorkspaceId('ws_mi3k2l0a1b2c3d4e5f6a7b8c9d0')).not.toThrow();
  });
});
