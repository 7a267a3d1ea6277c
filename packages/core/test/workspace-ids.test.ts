import { describe, expect, it } from 'vitest';
import {
  getOwnedWorkspace,
  isValidWorkspaceId,
  keepalive,
  newWorkspaceId,
  releaseWorkspace,
  runCommand,
} from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';

describe('workspace ids', () => {
  it('what newWorkspaceId makes is valid', () => {
    for (let i = 0; i < 20; i++) expect(isValidWorkspaceId(newWorkspaceId())).toBe(true);
    expect(isValidWorkspaceId(`ws_${'a'.repeat(64)}`)).toBe(true);
  });

  it.each([
    '',
    'ws_',
    'w',
    'ws-abc',
    `ws_${'a'.repeat(65)}`,
    `ws_${'a'.repeat(2044)}`,
    'x'.repeat(60_000),
    'ws_a/b',
    'ws_a\nb',
    'ws_é',
    '..',
  ])('refuses %j', (id) => expect(isValidWorkspaceId(id)).toBe(false));

  it('an id of any other shape is not_found on every route, and the store is never asked', async () => {
    const deps = makeDeps();
    seedWorkspace(deps);
    let storeReads = 0;
    const get = deps.store.get.bind(deps.store);
    deps.store.get = (...args) => {
      storeReads++;
      return get(...args);
    };
    for (const id of ['x'.repeat(2047), 'ws_' + 'a'.repeat(2046), 'x'.repeat(60_000)]) {
      for (const call of [
        () => getOwnedWorkspace(deps, 't1', id),
        () => keepalive(deps, 't1', id),
        () => releaseWorkspace(deps, 't1', id),
        () => runCommand(deps, 't1', id, { cmd: ['true'] }),
      ]) {
        await expect(call()).rejects.toMatchObject({ code: 'not_found', status: 404 });
      }
    }
    expect(storeReads).toBe(0);
    expect(deps.workspaceAgent.calls).toEqual([]);
  });
});
