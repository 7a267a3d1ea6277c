import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instanceOf, isOwned } from '../../src/runtime/labels.js';

describe('instanceOf', () => {
  it('names a state dir by its real path: the same dir the same, another dir another', async () => {
    const a = await mkdtemp(join(tmpdir(), 'berth-inst-'));
    const b = await mkdtemp(join(tmpdir(), 'berth-inst-'));
    const link = join(b, 'link-to-a');
    await symlink(a, link);
    expect(instanceOf(a)).toMatch(/^[0-9a-f]{12}$/);
    expect(instanceOf(link)).toBe(instanceOf(a));
    expect(instanceOf(`${a}/`)).toBe(instanceOf(a));
    expect(instanceOf(b)).not.toBe(instanceOf(a));
  });
});

describe('isOwned', () => {
  const labels = (extra: Record<string, string> = {}) => ({ 'p.managed': 'true', ...extra });
  it("takes this instance's containers and those from before instance labels", () => {
    expect(isOwned(labels({ 'p.instance': 'me' }), 'p', 'me')).toBe(true);
    expect(isOwned(labels(), 'p', 'me')).toBe(true);
  });
  it("leaves another instance's, another prefix's and unmanaged containers alone", () => {
    expect(isOwned(labels({ 'p.instance': 'other' }), 'p', 'me')).toBe(false);
    expect(isOwned(labels({ 'p.instance': 'me' }), 'q', 'me')).toBe(false);
    expect(isOwned({ 'p.managed': 'false' }, 'p', 'me')).toBe(false);
    expect(isOwned(undefined, 'p', 'me')).toBe(false);
  });
});
