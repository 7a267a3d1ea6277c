import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expandFiles, hashInputs } from '../src/images/image-hash.js';

describe('hashInputs', () => {
  let root: string;
  const files = ['app/Dockerfile', 'app/dist'];
  const hash = (values?: unknown): string => hashInputs({ root, files, values });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-hash-'));
    mkdirSync(join(root, 'app/dist/sub'), { recursive: true });
    writeFileSync(join(root, 'app/Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(root, 'app/dist/main.js'), 'console.log(1)\n');
    writeFileSync(join(root, 'app/dist/sub/util.js'), 'export {}\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is a stable sha256 for unchanged inputs', () => {
    const a = hash({ baseId: 'sha256:1' });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    // Rewriting identical content (new mtime) must not change it.
    writeFileSync(join(root, 'app/dist/main.js'), 'console.log(1)\n');
    expect(hash({ baseId: 'sha256:1' })).toBe(a);
  });

  it('changes when a file in a walked directory changes', () => {
    const a = hash();
    writeFileSync(join(root, 'app/dist/sub/util.js'), 'export const x = 1;\n');
    expect(hash()).not.toBe(a);
  });

  it('changes when a file is added, removed or renamed', () => {
    const a = hash();
    writeFileSync(join(root, 'app/dist/extra.js'), '');
    const b = hash();
    expect(b).not.toBe(a);
    renameSync(join(root, 'app/dist/extra.js'), join(root, 'app/dist/other.js'));
    expect(hash()).not.toBe(b);
    rmSync(join(root, 'app/dist/other.js'));
    expect(hash()).toBe(a);
  });

  it('changes when a value changes', () => {
    expect(hash({ baseId: 'sha256:1' })).not.toBe(hash({ baseId: 'sha256:2' }));
  });

  it('does not confuse content moved across a file boundary', () => {
    writeFileSync(join(root, 'app/dist/main.js'), 'ab');
    writeFileSync(join(root, 'app/dist/sub/util.js'), 'c');
    const a = hash();
    writeFileSync(join(root, 'app/dist/main.js'), 'a');
    writeFileSync(join(root, 'app/dist/sub/util.js'), 'bc');
    expect(hash()).not.toBe(a);
  });

  it('throws for a missing input rather than hashing less', () => {
    expect(() => hashInputs({ root, files: ['app/missing'] })).toThrow(/ENOENT/);
  });

  it('lists files sorted with forward slashes', () => {
    expect(expandFiles(root, files)).toEqual(['app/Dockerfile', 'app/dist/main.js', 'app/dist/sub/util.js']);
  });
});
