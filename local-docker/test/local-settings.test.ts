import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLocalSettings } from '../src/local-settings.js';

const dir = () => mkdtempSync(join(tmpdir(), 'berth-settings-'));

describe('readLocalSettings', () => {
  it('defaults: port 8787 on loopback, state in ./.berth, a generated key for tenant local', () => {
    const cwd = dir();
    const s = readLocalSettings({}, cwd);
    expect(s).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      stateDir: join(cwd, '.berth'),
      generatedKey: true,
    });
    expect(s.apiKeys).toMatch(/^local:berth_[A-Za-z0-9_-]{20,}$/);
    expect(s.labelPrefix).toBeUndefined();
  });

  it('keeps the generated key across restarts, readable by its owner only', () => {
    const cwd = dir();
    const first = readLocalSettings({}, cwd);
    const second = readLocalSettings({}, cwd);
    expect(second.apiKeys).toBe(first.apiKeys);
    const file = join(cwd, '.berth', 'api-key');
    expect(`local:${readFileSync(file, 'utf8').trim()}`).toBe(first.apiKeys);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('takes keys from BERTH_API_KEYS, or one key from BERTH_API_KEY, and generates none then', () => {
    const cwd = dir();
    expect(readLocalSettings({ BERTH_API_KEYS: 'a:keyAAAAAAAA,b:keyBBBBBBBB' }, cwd)).toMatchObject({
      apiKeys: 'a:keyAAAAAAAA,b:keyBBBBBBBB',
      generatedKey: false,
    });
    expect(readLocalSettings({ BERTH_API_KEY: 'single-key-123' }, cwd).apiKeys).toBe('local:single-key-123');
  });

  it('refuses a port that is not one, naming the variable', () => {
    expect(() => readLocalSettings({ BERTH_PORT: 'http' }, dir())).toThrow(/BERTH_PORT/);
    expect(() => readLocalSettings({ BERTH_PORT: '70000' }, dir())).toThrow(/BERTH_PORT/);
  });

  it('takes a label prefix that looks like one and refuses others', () => {
    expect(
      readLocalSettings({ BERTH_LABEL_PREFIX: 'team-a.berth', BERTH_API_KEY: 'k-12345678' }, dir())
        .labelPrefix,
    ).toBe('team-a.berth');
    for (const bad of ['Dev.Berth', 'a..b', 'x=y', '.berth']) {
      expect(() =>
        readLocalSettings({ BERTH_LABEL_PREFIX: bad, BERTH_API_KEY: 'k-12345678' }, dir()),
      ).toThrow(/BERTH_LABEL_PREFIX/);
    }
  });

  it('takes a disk quota from BERTH_DISK_MIB (none by default) and refuses a bad one', () => {
    const env = { BERTH_API_KEY: 'k-12345678' };
    expect(readLocalSettings(env, dir()).diskMiB).toBeUndefined();
    expect(readLocalSettings({ ...env, BERTH_DISK_MIB: '64' }, dir()).diskMiB).toBe(64);
    for (const bad of ['0', '8', '1.5', 'lots', '300000']) {
      expect(() => readLocalSettings({ ...env, BERTH_DISK_MIB: bad }, dir())).toThrow(/BERTH_DISK_MIB/);
    }
  });

  it('takes concurrent container starts from BERTH_CONCURRENT_STARTS (the host default when unset)', () => {
    const env = { BERTH_API_KEY: 'k-12345678' };
    expect(readLocalSettings(env, dir()).concurrentStarts).toBeUndefined();
    expect(readLocalSettings({ ...env, BERTH_CONCURRENT_STARTS: '2' }, dir()).concurrentStarts).toBe(2);
    for (const bad of ['0', '-1', '1.5', 'many']) {
      expect(() => readLocalSettings({ ...env, BERTH_CONCURRENT_STARTS: bad }, dir())).toThrow(
        /BERTH_CONCURRENT_STARTS/,
      );
    }
  });

  it('reads the egress allowlist as a trimmed comma list', () => {
    const s = readLocalSettings(
      { BERTH_EGRESS_ALLOW: ' example.com, *.github.com:443 ,', BERTH_API_KEY: 'k-12345678' },
      dir(),
    );
    expect(s.egress.allowDomains).toEqual(['example.com', '*.github.com:443']);
  });
});
