import { describe, expect, it } from 'vitest';
import { berthSettings, functionConfig, SettingsError } from '../settings.js';

const PROFILE = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';

describe('berthSettings: model provider', () => {
  it('defaults to the Anthropic API, with no Bedrock region or models', () => {
    expect(berthSettings({}).models).toEqual({
      provider: 'anthropic',
      bedrockRegion: undefined,
      bedrockModels: [],
    });
  });

  it('takes Bedrock with its models (first = default, duplicates dropped) and an optional region', () => {
    expect(
      berthSettings({
        BERTH_MODEL_PROVIDER: 'bedrock',
        BERTH_BEDROCK_MODELS: ` ${PROFILE}, ${MODEL},${PROFILE} `,
      }).models,
    ).toEqual({ provider: 'bedrock', bedrockRegion: undefined, bedrockModels: [PROFILE, MODEL] });
    expect(
      berthSettings({
        BERTH_MODEL_PROVIDER: 'bedrock',
        BERTH_BEDROCK_MODELS: MODEL,
        BERTH_BEDROCK_REGION: 'eu-central-1',
      }).models.bedrockRegion,
    ).toBe('eu-central-1');
  });

  it.each([
    [{ BERTH_MODEL_PROVIDER: 'openai' }, /BERTH_MODEL_PROVIDER/],
    [{ BERTH_MODEL_PROVIDER: 'bedrock' }, /BERTH_BEDROCK_MODELS is required/],
    [{ BERTH_MODEL_PROVIDER: 'bedrock', BERTH_BEDROCK_MODELS: ' , ' }, /BERTH_BEDROCK_MODELS is required/],
    [{ BERTH_MODEL_PROVIDER: 'bedrock', BERTH_BEDROCK_MODELS: 'anthropic.claude *' }, /BERTH_BEDROCK_MODELS/],
    [
      { BERTH_MODEL_PROVIDER: 'bedrock', BERTH_BEDROCK_MODELS: MODEL, BERTH_BEDROCK_REGION: 'Frankfurt' },
      /BERTH_BEDROCK_REGION/,
    ],
    // Left behind from a Bedrock deploy: refused rather than silently ignored.
    [{ BERTH_BEDROCK_MODELS: MODEL }, /BERTH_BEDROCK_MODELS applies only with BERTH_MODEL_PROVIDER=bedrock/],
    [{ BERTH_BEDROCK_REGION: 'us-west-2' }, /BERTH_BEDROCK_REGION applies only/],
    [{ BERTH_BEDROCK_ENDPOINT: '1' }, /BERTH_BEDROCK_ENDPOINT is no longer a setting/],
  ])('refuses %o, naming the variable', (vars, message) => {
    expect(() => berthSettings(vars)).toThrow(SettingsError);
    expect(() => berthSettings(vars)).toThrow(message);
  });
});

describe('berthSettings: egress', () => {
  it('defaults to no base allowlist and the gateway open on 80 and 443', () => {
    expect(berthSettings({}).egress).toEqual({ allow: [], ports: [80, 443] });
  });

  it('takes the base allowlist and the ports', () => {
    expect(
      berthSettings({
        BERTH_EGRESS_ALLOW: ' pypi.org, *.github.com:443 ,,registry.npmjs.org:8443',
        BERTH_EGRESS_PORTS: '443, 8443',
      }).egress,
    ).toEqual({ allow: ['pypi.org', '*.github.com:443', 'registry.npmjs.org:8443'], ports: [443, 8443] });
  });

  it.each([
    [{ BERTH_EGRESS_ALLOW: 'exa mple.com' }, /BERTH_EGRESS_ALLOW: "exa mple.com" is not a domain/],
    [{ BERTH_EGRESS_ALLOW: 'example.com:99999' }, /BERTH_EGRESS_ALLOW/],
    [
      { BERTH_EGRESS_ALLOW: 'example.com:8443' },
      /"example.com:8443" names port 8443, which BERTH_EGRESS_PORTS/,
    ],
    [{ BERTH_EGRESS_PORTS: '80' }, /BERTH_EGRESS_PORTS must include 443/],
    [{ BERTH_EGRESS_PORTS: '443,http' }, /BERTH_EGRESS_PORTS must be TCP ports/],
    [{ BERTH_EGRESS_PORTS: '443,0' }, /BERTH_EGRESS_PORTS must be TCP ports/],
    [{ BERTH_EGRESS_PORTS: Array.from({ length: 21 }, (_, i) => 440 + i).join() }, /1 to 20 ports/],
  ])('refuses %o, naming the variable', (vars, message) => {
    expect(() => berthSettings(vars)).toThrow(SettingsError);
    expect(() => berthSettings(vars)).toThrow(message);
  });
});

describe('berthSettings: egress gateway', () => {
  it('defaults to two 0.5 vCPU / 1 GiB tasks, scaling up to ten', () => {
    expect(berthSettings({}).gateway).toEqual({ tasks: 2, maxTasks: 10, cpu: 512, memoryMiB: 1024 });
  });

  it('takes overrides, Fargate sizes included', () => {
    expect(
      berthSettings({
        BERTH_GATEWAY_TASKS: '3',
        BERTH_GATEWAY_MAX_TASKS: '3',
        BERTH_GATEWAY_CPU: '256',
        BERTH_GATEWAY_MEMORY_MIB: '512',
      }).gateway,
    ).toEqual({ tasks: 3, maxTasks: 3, cpu: 256, memoryMiB: 512 });
  });

  it.each([
    // One task is no service: a zone or a deploy would take the only way out with it.
    [{ BERTH_GATEWAY_TASKS: '1' }, /BERTH_GATEWAY_TASKS must be an integer from 2/],
    [{ BERTH_GATEWAY_TASKS: '4', BERTH_GATEWAY_MAX_TASKS: '3' }, /BERTH_GATEWAY_MAX_TASKS \(3\) is below/],
    [{ BERTH_GATEWAY_CPU: '300' }, /BERTH_GATEWAY_CPU must be one of/],
    [{ BERTH_GATEWAY_MEMORY_MIB: '512' }, /BERTH_GATEWAY_MEMORY_MIB must be a multiple of 1024 from 1024/],
    [{ BERTH_GATEWAY_CPU: '256', BERTH_GATEWAY_MEMORY_MIB: '768' }, /BERTH_GATEWAY_MEMORY_MIB/],
  ])('refuses %o, naming the variable', (vars, message) => {
    expect(() => berthSettings(vars)).toThrow(SettingsError);
    expect(() => berthSettings(vars)).toThrow(message);
  });
});

describe('berthSettings: Fargate sizes of workspace tasks', () => {
  it('follows the memory steps of the large sizes (4 GiB from 8 vCPU)', () => {
    expect(berthSettings({ BERTH_TASK_CPU: '8192', BERTH_TASK_MEMORY_MIB: '20480' }).task.memoryMiB).toBe(
      20480,
    );
    expect(() => berthSettings({ BERTH_TASK_CPU: '8192', BERTH_TASK_MEMORY_MIB: '17408' })).toThrow(
      /BERTH_TASK_MEMORY_MIB must be a multiple of 4096/,
    );
  });
});

describe('berthSettings: warm pools and the RunTask token bucket', () => {
  it('has no pool and a bucket of 5 starts/s, 10 at once, by default', () => {
    const settings = berthSettings({});
    expect(settings.pools).toEqual({});
    expect(settings.runTask).toEqual({ ratePerSecond: 5, burst: 10 });
    expect(functionConfig(settings)).toBeUndefined();
  });

  it('takes BERTH_POOL_TARGETS (count or min-max per template) into every function’s BERTH_CONFIG', () => {
    const settings = berthSettings({
      BERTH_POOL_TARGETS: ' default:2-20, gpu:1 ',
      BERTH_RUNTASK_RATE: '20',
      BERTH_RUNTASK_BURST: '100',
    });
    expect(settings.pools).toEqual({ default: { min: 2, max: 20 }, gpu: { min: 1, max: 1 } });
    expect(settings.runTask).toEqual({ ratePerSecond: 20, burst: 100 });
    expect(JSON.parse(functionConfig(settings)!)).toEqual({
      templates: { default: { pool: { min: 2, max: 20 } }, gpu: { pool: { min: 1, max: 1 } } },
    });
    // The default template stays when only another is pooled.
    expect(JSON.parse(functionConfig(berthSettings({ BERTH_POOL_TARGETS: 'gpu:3' }))!)).toEqual({
      templates: { default: {}, gpu: { pool: { min: 3, max: 3 } } },
    });
  });

  it.each([
    [{ BERTH_POOL_TARGETS: 'default' }, /BERTH_POOL_TARGETS: "default"/],
    [{ BERTH_POOL_TARGETS: 'default:5-2' }, /BERTH_POOL_TARGETS: "default:5-2"/],
    [{ BERTH_POOL_TARGETS: 'default:2000' }, /BERTH_POOL_TARGETS/],
    [{ BERTH_RUNTASK_RATE: '0' }, /BERTH_RUNTASK_RATE must be an integer from 1 to 100/],
    [{ BERTH_RUNTASK_BURST: '2.5' }, /BERTH_RUNTASK_BURST must be an integer/],
  ])('refuses %o, naming the variable', (vars, message) => {
    expect(() => berthSettings(vars)).toThrow(SettingsError);
    expect(() => berthSettings(vars)).toThrow(message);
  });
});
