import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WORKSPACE_AGENT_ENV } from '@berth/protocol';

/** The `AGENT_*` names of the "Environment" table of workspace-image/README.md. */
function documentedNames(): string[] {
  const readme = readFileSync(new URL('../../../workspace-image/README.md', import.meta.url), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Environment\n'));
  if (!section) throw new Error('workspace-image/README.md has no "Environment" section');
  return [...section.matchAll(/^\| `(AGENT_[A-Z_]+)`/gm)].map((m) => m[1]!);
}

describe('WORKSPACE_AGENT_ENV', () => {
  it('names exactly the variables the agent documents', () => {
    expect(Object.values(WORKSPACE_AGENT_ENV).sort()).toEqual(documentedNames().sort());
  });
  it('has no name twice', () => {
    const names = Object.values(WORKSPACE_AGENT_ENV);
    expect(new Set(names).size).toBe(names.length);
  });
});
