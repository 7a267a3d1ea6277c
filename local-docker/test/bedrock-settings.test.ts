import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { LocalEgress, type LocalEgressSettings } from '../src/egress/local-egress.js';
import { readLocalSettings } from '../src/local-settings.js';

const dir = () => mkdtempSync(join(tmpdir(), 'berth-bedrock-'));
const KEY = { BERTH_API_KEY: 'k-12345678' };
const egress = (settings: LocalEgressSettings) =>
  new LocalEgress({ ...settings, stateDir: dir(), logger: new Logger({ logLevel: 'SILENT' }) });

describe('Bedrock mode settings', () => {
  it('reads BERTH_BEDROCK_REGION and BERTH_BEDROCK_MODEL into the egress settings', () => {
    const s = readLocalSettings(
      { ...KEY, BERTH_BEDROCK_REGION: 'eu-west-1', BERTH_BEDROCK_MODEL: 'eu.anthropic.claude-x-v1:0' },
      dir(),
    );
    expect(s.egress).toEqual({
      allowDomains: [],
      bedrockRegion: 'eu-west-1',
      bedrockModel: 'eu.anthropic.claude-x-v1:0',
    });
  });

  it('refuses both model accesses at once, and a model without a region', () => {
    const both = { ...KEY, BERTH_ANTHROPIC_API_KEY: 'sk-ant-x', BERTH_BEDROCK_REGION: 'us-east-1' };
    expect(() => readLocalSettings(both, dir())).toThrow(/exclusive/);
    expect(() => readLocalSettings({ ...KEY, BERTH_BEDROCK_MODEL: 'm' }, dir())).toThrow(
      /BERTH_BEDROCK_MODEL needs BERTH_BEDROCK_REGION/,
    );
    expect(() => egress({ anthropicApiKey: 'sk-ant-x', bedrockRegion: 'us-east-1' })).toThrow(/exclusive/);
  });

  it('tells each workspace the region, the runtime host in plain HTTP (the proxy signs) and the model', () => {
    expect(egress({ bedrockRegion: 'us-east-1', bedrockModel: 'm-1' }).modelAccessEnv).toEqual({
      AGENT_BEDROCK_REGION: 'us-east-1',
      AGENT_BEDROCK_BASE_URL: 'http://bedrock-runtime.us-east-1.amazonaws.com',
      AGENT_MODEL: 'm-1',
    });
    const test = egress({ bedrockRegion: 'us-east-1', bedrockUpstream: 'http://bedrock.test:8080' });
    expect(test.modelAccessEnv).toEqual({
      AGENT_BEDROCK_REGION: 'us-east-1',
      AGENT_BEDROCK_BASE_URL: 'http://bedrock.test:8080',
    });
    expect(egress({ anthropicApiKey: 'sk-ant-x' }).modelAccessEnv).toEqual({
      AGENT_ANTHROPIC_BASE_URL: 'http://api.anthropic.com',
    });
    expect(egress({}).modelAccessEnv).toEqual({});
  });

  it('stops the host on a region that is not one, with the proxy parser’s message', () => {
    expect(() => egress({ bedrockRegion: 'Mars 1' })).toThrow(/bedrockRegion/);
    expect(() => egress({ bedrockRegion: 'nowhere' })).toThrow(/PROXY_BEDROCK_REGION/);
  });
});
