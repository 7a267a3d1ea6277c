import { describe, expect, it } from 'vitest';
import type { EgressPolicy, WorkspaceRules } from '../../src/index.js';
import { parseDomainList } from '../../src/index.js';
import { workspaceEgressPolicy } from '../../src/policy/workspace-rules.js';

const base: EgressPolicy = {
  allowDomains: parseDomainList('api.anthropic.com,*.pypi.org:443'),
  anthropic: { apiKey: 'sk-operator', hosts: ['api.anthropic.com'], upstreamScheme: 'https' },
  bedrock: {
    region: 'eu-west-1',
    hosts: ['bedrock-runtime.eu-west-1.amazonaws.com'],
    upstreamScheme: 'https',
  },
  headerRules: [{ host: 'mcp.example.com', headers: { 'x-operator': 'base' }, upstreamScheme: 'https' }],
};

const none = { allowDomains: [], headerRules: [] };

describe('workspaceEgressPolicy', () => {
  it('is the base policy when the workspace has no rules of its own', () => {
    expect(workspaceEgressPolicy(base, none)).toEqual(base);
  });

  it("adds the workspace's allowlist after the base's and keeps the base's injection as it is", () => {
    const policy = workspaceEgressPolicy(base, {
      allowDomains: ['api.example.com', '*.npmjs.org:443'],
      headerRules: [],
    });
    expect(policy.allowDomains).toEqual([
      ...base.allowDomains,
      ...parseDomainList('api.example.com,*.npmjs.org:443'),
    ]);
    expect(policy.anthropic).toBe(base.anthropic);
    expect(policy.bedrock).toBe(base.bedrock);
  });

  it("puts the workspace's header rules before the base's (the operator's value is applied last)", () => {
    const policy = workspaceEgressPolicy(base, {
      allowDomains: [],
      headerRules: [{ host: '*.Example.com', headers: { Authorization: 'Bearer t' } }],
    });
    expect(policy.headerRules).toEqual([
      { host: '*.example.com', headers: { authorization: 'Bearer t' }, upstreamScheme: 'https' },
      ...base.headerRules,
    ]);
  });

  it('gives header rules the scheme the option names (http for loopback fakes)', () => {
    const policy = workspaceEgressPolicy(
      base,
      { allowDomains: [], headerRules: [{ host: 'mcp.test', headers: { 'x-token': 't' } }] },
      { headerRulesUpstreamScheme: 'http' },
    );
    expect(policy.headerRules[0]?.upstreamScheme).toBe('http');
  });

  it('leaves the base policy unchanged', () => {
    const before = structuredClone(base);
    workspaceEgressPolicy(base, {
      allowDomains: ['a.example.com'],
      headerRules: [{ host: 'a.example.com', headers: { 'x-a': '1' } }],
    });
    expect(base).toEqual(before);
  });

  it.each<[WorkspaceRules, RegExp]>([
    [{ allowDomains: ['bad domain'], headerRules: [] }, /^allowDomains: "bad domain" is not/],
    [{ allowDomains: [], headerRules: [{ host: 'a.com:443', headers: {} }] }, /^headerRules\[0\]\.host: /],
    [
      {
        allowDomains: [],
        headerRules: [
          { host: 'a.com', headers: { 'x-ok': '1' } },
          { host: 'b.com', headers: { Host: 'x' } },
        ],
      },
      /^headerRules\[1\]\.headers: /,
    ],
  ])('throws an Error naming the bad entry: %o', (rules, message) => {
    expect(() => workspaceEgressPolicy(base, rules)).toThrow(message);
  });
});
