/**
 * Deployment settings of the AWS stacks: every one has a default, and an environment variable overrides it at
 * `sst deploy` / synth time. One place, typed; a bad value stops the synth with the variable's name.
 */
import { parsePoolTargets, type PoolBounds } from '../packages/core/src/pool/pool-targets-setting.js';
import { parseDomainEntry } from '../packages/protocol/src/egress/domain-entry.js';

export type CapacityType = 'fargate' | 'ec2';
/** Which model API the workspaces' agent runs call, always through the egress gateway. */
export type ModelProvider = 'anthropic' | 'bedrock';

export interface BerthSettings {
  /** Where workspace tasks run (BERTH_CAPACITY): Fargate, or EC2 instances of an ASG capacity provider. */
  capacity: CapacityType;
  /**
   * Task-definition defaults of a workspace task (a template's own sizes go in RunTask's overrides).
   * Fargate accepts only some cpu/memory pairs: 2 vCPU needs 4..16 GiB of task memory, so the task gets
   * 4 GiB and the workspace container keeps the template's 2 GiB as its hard limit, as locally.
   */
  task: {
    /** CPU units of the task (BERTH_TASK_CPU); 1024 = 1 vCPU. */
    cpu: number;
    /** Task memory (BERTH_TASK_MEMORY_MIB). */
    memoryMiB: number;
    /** Hard memory limit of the workspace container (BERTH_WORKSPACE_MEMORY_MIB): the template's memoryMiB. */
    workspaceMemoryMiB: number;
    /** Hard memory limit of the proxy sidecar (BERTH_PROXY_MEMORY_MIB). */
    proxyMemoryMiB: number;
    /**
     * Ephemeral storage (BERTH_TASK_DISK_GIB): the workspace's disk. Locally a template's diskMiB defaults to
     * 5120, but Fargate's smallest (and free) ephemeral storage is 21 GiB, so that is the default.
     */
    ephemeralStorageGiB: number;
    /** nproc ulimit of the workspace user (BERTH_TASK_PIDS): the template's `pids`, as the local PidsLimit. */
    pids: number;
    /** nofile ulimit of both containers (BERTH_TASK_NOFILE). */
    nofile: number;
  };
  /** EC2 capacity (used when capacity is `ec2`). */
  ec2: {
    /** Graviton instance type (BERTH_EC2_INSTANCE_TYPE); the AMI is the arm64 ECS-optimized one. */
    instanceType: string;
    /** ASG bounds (BERTH_EC2_MIN_INSTANCES, BERTH_EC2_MAX_INSTANCES); managed scaling moves between them. */
    minInstances: number;
    maxInstances: number;
  };
  /**
   * BASE_IMAGE build argument of both Dockerfiles (BERTH_IMAGE_BASE). Locally that is berth/base, built on the
   * host; a deploy builds arm64 images, so it needs a multi-arch base a builder can pull.
   */
  imageBase: string;
  /** Retention of the workspace log groups (BERTH_LOG_RETENTION_DAYS). */
  logRetentionDays: number;
  /** Where alarms are emailed (BERTH_ALARM_EMAIL); unset: the alarm topic has no subscription. */
  alarmEmail: string | undefined;
  /**
   * The VPC's availability zones (BERTH_AZS, comma-separated names, 2 to 6); unset: the region's `a` and `b`.
   * Named, not looked up, so a synth needs no AWS account.
   */
  availabilityZones: string[] | undefined;
  /**
   * The model API of agent runs. Workspaces hold no credential for either: the egress gateway adds the
   * Anthropic key (a Secrets Manager secret only it reads) or signs Bedrock calls with its own task role.
   */
  models: {
    /** BERTH_MODEL_PROVIDER: `anthropic` (default) or `bedrock`. */
    provider: ModelProvider;
    /** BERTH_BEDROCK_REGION; unset: the stack's own region (the stacks resolve it). Bedrock mode only. */
    bedrockRegion: string | undefined;
    /**
     * BERTH_BEDROCK_MODELS: the model ids (or inference-profile ids such as `us.anthropic.…`) the gateway may
     * invoke, comma-separated; the first is the agent's default model. Required in Bedrock mode.
     */
    bedrockModels: string[];
  };
  /** What the egress gateway lets out, besides each workspace's own rules (`PUT /egress`). */
  egress: {
    /**
     * BERTH_EGRESS_ALLOW: the base allowlist every workspace has (`name` / `*.suffix`, optionally `:port`),
     * as locally; empty by default (only the model API).
     */
    allow: string[];
    /** BERTH_EGRESS_PORTS: the only TCP ports the gateway's security group opens to the internet. */
    ports: number[];
  };
  /** The egress gateway service (Fargate, arm64, behind an internal NLB). */
  gateway: {
    /** BERTH_GATEWAY_TASKS: desired and minimum task count, at least 2 (one per zone survives a zone). */
    tasks: number;
    /** BERTH_GATEWAY_MAX_TASKS: CPU autoscaling's upper bound. */
    maxTasks: number;
    /** BERTH_GATEWAY_CPU, BERTH_GATEWAY_MEMORY_MIB: one task's Fargate size. */
    cpu: number;
    memoryMiB: number;
  };
  /** How often the sweep runs (BERTH_SWEEP_MINUTES, 1 to 60). */
  sweepMinutes: number;
  /** API Gateway throttling (requests per second, burst): the whole stage, and each API key (its usage plan). */
  api: {
    /** Stage-wide steady rate and burst (BERTH_API_RATE, BERTH_API_BURST): every tenant together. */
    rateLimit: number;
    burstLimit: number;
    /** Per API key of the standard tier (BERTH_API_KEY_RATE, BERTH_API_KEY_BURST). */
    keyRateLimit: number;
    keyBurstLimit: number;
  };
  /**
   * Warm pools by template (BERTH_POOL_TARGETS: `template:count` or `template:min-max`, comma-separated, e.g.
   * `default:2-20`): handed to every function as `templates.<name>.pool` of BERTH_CONFIG. Empty: no pool, no
   * refill schedule, no pool alarm.
   */
  pools: Record<string, PoolBounds>;
  /**
   * The RunTask token bucket every function shares (core StartGate; aws DynamoStartGate): starts per second
   * (BERTH_RUNTASK_RATE) and at once (BERTH_RUNTASK_BURST). ECS throttles RunTask per account and region;
   * keep these below its limits, with room for anything else in the account that starts tasks.
   */
  runTask: { ratePerSecond: number; burst: number };
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new SettingsError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new SettingsError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

/** The retention periods CloudWatch Logs accepts. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
];

/** Fargate's task memory (MiB) for each CPU size: from, to, in steps of. */
const FARGATE_MEMORY: Record<number, [number, number, number]> = {
  256: [512, 2048, 512],
  512: [1024, 4096, 1024],
  1024: [2048, 8192, 1024],
  2048: [4096, 16384, 1024],
  4096: [8192, 30720, 1024],
  8192: [16384, 61440, 4096],
  16384: [32768, 122880, 8192],
};

/** Throws unless `cpu`/`memoryMiB` is a size Fargate runs, naming the two variables. */
function checkFargateSize(cpuName: string, memoryName: string, cpu: number, memoryMiB: number): void {
  const range = FARGATE_MEMORY[cpu];
  if (!range) {
    throw new SettingsError(`${cpuName} must be one of ${Object.keys(FARGATE_MEMORY).join(', ')} on Fargate`);
  }
  const [from, to, step] = range;
  if (memoryMiB < from || memoryMiB > to || memoryMiB % step !== 0) {
    throw new SettingsError(
      `${memoryName} must be a multiple of ${step} from ${from} to ${to} with ${cpu} CPU units on Fargate, got ${memoryMiB}`,
    );
  }
}

/** A comma-separated list: trimmed, empty items dropped. */
const list = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** A Bedrock model id (`anthropic.claude-…-v1:0`) or inference-profile id (`us.anthropic.claude-…`). */
const MODEL_ID = /^[a-z0-9][a-z0-9._:-]{0,199}$/;

function modelSettings(env: Env): BerthSettings['models'] {
  const provider = oneOf(env, 'BERTH_MODEL_PROVIDER', ['anthropic', 'bedrock'] as const, 'anthropic');
  const bedrockRegion = env.BERTH_BEDROCK_REGION || undefined;
  const bedrockModels = list(env.BERTH_BEDROCK_MODELS);
  if (provider === 'anthropic') {
    // A Bedrock setting left behind would be silently ignored: say so instead.
    for (const name of ['BERTH_BEDROCK_REGION', 'BERTH_BEDROCK_MODELS'] as const) {
      if (env[name]) throw new SettingsError(`${name} applies only with BERTH_MODEL_PROVIDER=bedrock`);
    }
    return { provider, bedrockRegion: undefined, bedrockModels: [] };
  }
  if (bedrockRegion !== undefined && !REGION.test(bedrockRegion)) {
    throw new SettingsError(
      `BERTH_BEDROCK_REGION must be an AWS region name (e.g. us-east-1), got ${JSON.stringify(bedrockRegion)}`,
    );
  }
  if (bedrockModels.length === 0) {
    throw new SettingsError(
      'BERTH_BEDROCK_MODELS is required with BERTH_MODEL_PROVIDER=bedrock: the model ids the gateway may invoke, comma-separated (the first is the default)',
    );
  }
  const bad = bedrockModels.find((id) => !MODEL_ID.test(id));
  if (bad !== undefined) {
    throw new SettingsError(`BERTH_BEDROCK_MODELS: ${JSON.stringify(bad)} is not a Bedrock model id`);
  }
  return { provider, bedrockRegion, bedrockModels: [...new Set(bedrockModels)] };
}

function egressSettings(env: Env): BerthSettings['egress'] {
  const portTexts = env.BERTH_EGRESS_PORTS ? list(env.BERTH_EGRESS_PORTS) : ['80', '443'];
  const ports = portTexts.map((text) => {
    const port = Number(text);
    if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
      throw new SettingsError(`BERTH_EGRESS_PORTS must be TCP ports (1-65535), got ${JSON.stringify(text)}`);
    }
    return port;
  });
  // Each port is a security-group rule; a group holds at most 60 per direction.
  if (ports.length === 0 || ports.length > 20) {
    throw new SettingsError('BERTH_EGRESS_PORTS must list 1 to 20 ports');
  }
  if (!ports.includes(443)) {
    throw new SettingsError('BERTH_EGRESS_PORTS must include 443: the model API is HTTPS');
  }
  const allow = list(env.BERTH_EGRESS_ALLOW);
  for (const entry of allow) {
    // The operator's grammar (the gateway parses PROXY_ALLOW_DOMAINS with it too).
    const parsed = parseDomainEntry(entry, { ipLiterals: true });
    if (!parsed.ok) throw new SettingsError(`BERTH_EGRESS_ALLOW: ${parsed.message}`);
    if (parsed.value.port !== null && !ports.includes(parsed.value.port)) {
      throw new SettingsError(
        `BERTH_EGRESS_ALLOW: "${entry}" names port ${parsed.value.port}, which BERTH_EGRESS_PORTS (${ports.join()}) does not open`,
      );
    }
  }
  return { allow, ports: [...new Set(ports)] };
}

function poolSettings(env: Env): BerthSettings['pools'] {
  try {
    return parsePoolTargets(env.BERTH_POOL_TARGETS ?? '');
  } catch (e) {
    throw new SettingsError((e as Error).message);
  }
}

function gatewaySettings(env: Env): BerthSettings['gateway'] {
  const tasks = int(env, 'BERTH_GATEWAY_TASKS', 2, 2, 100);
  const maxTasks = int(env, 'BERTH_GATEWAY_MAX_TASKS', 10, 2, 200);
  if (maxTasks < tasks) {
    throw new SettingsError(`BERTH_GATEWAY_MAX_TASKS (${maxTasks}) is below BERTH_GATEWAY_TASKS (${tasks})`);
  }
  const cpu = int(env, 'BERTH_GATEWAY_CPU', 512, 256, 16384);
  const memoryMiB = int(env, 'BERTH_GATEWAY_MEMORY_MIB', 1024, 512, 122880);
  checkFargateSize('BERTH_GATEWAY_CPU', 'BERTH_GATEWAY_MEMORY_MIB', cpu, memoryMiB);
  return { tasks, maxTasks, cpu, memoryMiB };
}

/** Reads the settings: defaults, overridden by BERTH_* environment variables. Throws SettingsError. */
export function berthSettings(env: Env = process.env): BerthSettings {
  const capacity = oneOf(env, 'BERTH_CAPACITY', ['fargate', 'ec2'] as const, 'fargate');
  const task = {
    cpu: int(env, 'BERTH_TASK_CPU', 2048, 256, 16384),
    memoryMiB: int(env, 'BERTH_TASK_MEMORY_MIB', 4096, 512, 122880),
    workspaceMemoryMiB: int(env, 'BERTH_WORKSPACE_MEMORY_MIB', 2048, 64, 122880),
    proxyMemoryMiB: int(env, 'BERTH_PROXY_MEMORY_MIB', 256, 64, 4096),
    ephemeralStorageGiB: int(env, 'BERTH_TASK_DISK_GIB', 21, 21, 200),
    pids: int(env, 'BERTH_TASK_PIDS', 100, 16, 4096),
    nofile: int(env, 'BERTH_TASK_NOFILE', 65536, 1024, 1048576),
  };
  if (capacity === 'fargate') {
    checkFargateSize('BERTH_TASK_CPU', 'BERTH_TASK_MEMORY_MIB', task.cpu, task.memoryMiB);
  }
  if (task.workspaceMemoryMiB + task.proxyMemoryMiB > task.memoryMiB) {
    throw new SettingsError(
      `BERTH_WORKSPACE_MEMORY_MIB + BERTH_PROXY_MEMORY_MIB (${task.workspaceMemoryMiB + task.proxyMemoryMiB}) exceed BERTH_TASK_MEMORY_MIB (${task.memoryMiB})`,
    );
  }
  const minInstances = int(env, 'BERTH_EC2_MIN_INSTANCES', 0, 0, 1000);
  const maxInstances = int(env, 'BERTH_EC2_MAX_INSTANCES', 10, 1, 1000);
  if (minInstances > maxInstances) {
    throw new SettingsError(
      `BERTH_EC2_MIN_INSTANCES (${minInstances}) exceeds BERTH_EC2_MAX_INSTANCES (${maxInstances})`,
    );
  }
  const logRetentionDays = int(env, 'BERTH_LOG_RETENTION_DAYS', 30, 1, 2557);
  if (!RETENTION_DAYS.includes(logRetentionDays)) {
    throw new SettingsError(`BERTH_LOG_RETENTION_DAYS must be one of ${RETENTION_DAYS.join(', ')}`);
  }
  const alarmEmail = env.BERTH_ALARM_EMAIL || undefined;
  if (alarmEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new SettingsError(`BERTH_ALARM_EMAIL must be an email address, got ${JSON.stringify(alarmEmail)}`);
  }
  const availabilityZones = env.BERTH_AZS ? env.BERTH_AZS.split(',').map((az) => az.trim()) : undefined;
  const zoneName = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
  if (
    availabilityZones &&
    (availabilityZones.length < 2 ||
      availabilityZones.length > 6 ||
      !availabilityZones.every((az) => zoneName.test(az)))
  ) {
    throw new SettingsError(
      `BERTH_AZS must be 2 to 6 zone names like us-east-1a,us-east-1b, got ${JSON.stringify(env.BERTH_AZS)}`,
    );
  }
  if (env.BERTH_BEDROCK_ENDPOINT && env.BERTH_BEDROCK_ENDPOINT !== '0') {
    // Its private DNS would point bedrock-runtime at VPC addresses, which the gateway refuses like any
    // private address; the gateway reaches Bedrock through NAT, and workspaces never call it themselves.
    throw new SettingsError(
      'BERTH_BEDROCK_ENDPOINT is no longer a setting: Bedrock is called by the egress gateway through NAT (see README "Deploy to AWS")',
    );
  }
  return {
    capacity,
    task,
    ec2: { instanceType: env.BERTH_EC2_INSTANCE_TYPE || 'm7g.large', minInstances, maxInstances },
    imageBase: env.BERTH_IMAGE_BASE || 'public.ecr.aws/docker/library/node:22-bookworm-slim',
    logRetentionDays,
    alarmEmail,
    availabilityZones,
    models: modelSettings(env),
    egress: egressSettings(env),
    gateway: gatewaySettings(env),
    sweepMinutes: int(env, 'BERTH_SWEEP_MINUTES', 1, 1, 60),
    api: {
      rateLimit: int(env, 'BERTH_API_RATE', 100, 1, 10000),
      burstLimit: int(env, 'BERTH_API_BURST', 200, 1, 5000),
      keyRateLimit: int(env, 'BERTH_API_KEY_RATE', 10, 1, 10000),
      keyBurstLimit: int(env, 'BERTH_API_KEY_BURST', 20, 1, 5000),
    },
    pools: poolSettings(env),
    runTask: {
      ratePerSecond: int(env, 'BERTH_RUNTASK_RATE', 5, 1, 100),
      burst: int(env, 'BERTH_RUNTASK_BURST', 10, 1, 1000),
    },
  };
}

/**
 * The BERTH_CONFIG every function gets when warm pools are set: each pooled template's `pool` bounds (the
 * default template is kept, pooled or not); undefined without pools (every function keeps the defaults).
 */
export function functionConfig(settings: Pick<BerthSettings, 'pools'>): string | undefined {
  const pooled = Object.entries(settings.pools);
  if (pooled.length === 0) return undefined;
  const templates: Record<string, { pool?: PoolBounds }> = { default: {} };
  for (const [name, pool] of pooled) templates[name] = { pool };
  return JSON.stringify({ templates });
}
