import type { ContainerSpec } from '@berth/core';

/**
 * A template's limits as RunTask overrides. The template's memory is the workspace container's hard limit (as
 * locally); the task must also hold the proxy sidecar, and on Fargate cpu and memory must be one of its sizes
 * (2 vCPU needs at least 4 GiB), so the task gets the smallest valid size that covers both. The template's
 * disk becomes the task's ephemeral storage on Fargate (21 GiB at least, 200 at most).
 */
export interface TaskSizeOptions {
  /** Memory the task definition reserves for the proxy sidecar (MiB). */
  sidecarMemoryMiB: number;
  /** Fargate (sizes and ephemeral storage apply) or an EC2 capacity provider (any size, the instance's disk). */
  fargate: boolean;
}

/** Fargate's task sizes: cpu units → the memory sizes (MiB) it accepts. */
const FARGATE_SIZES: readonly { cpu: number; memory: readonly number[] }[] = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: range(1024, 4096, 1024) },
  { cpu: 1024, memory: range(2048, 8192, 1024) },
  { cpu: 2048, memory: range(4096, 16384, 1024) },
  { cpu: 4096, memory: range(8192, 30720, 1024) },
  { cpu: 8192, memory: range(16384, 61440, 4096) },
  { cpu: 16384, memory: range(32768, 122880, 8192) },
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}

/** The smallest Fargate size with at least `cpu` units and `memoryMiB`; throws past the largest. */
export function fargateSize(cpu: number, memoryMiB: number): { cpu: number; memory: number } {
  for (const size of FARGATE_SIZES) {
    if (size.cpu < cpu) continue;
    const memory = size.memory.find((m) => m >= memoryMiB);
    if (memory !== undefined) return { cpu: size.cpu, memory };
  }
  throw new Error(`no Fargate task size has ${cpu} cpu units and ${memoryMiB} MiB`);
}

export function taskSizeOverrides(spec: ContainerSpec, opts: TaskSizeOptions) {
  const cpu = Math.round(spec.limits.cpus * 1024);
  const needed = spec.limits.memoryMiB + opts.sidecarMemoryMiB;
  if (!opts.fargate)
    return { task: { cpu: String(cpu), memory: String(needed) }, workspaceMemoryMiB: spec.limits.memoryMiB };
  const size = fargateSize(cpu, needed);
  const sizeInGiB = Math.min(200, Math.max(21, Math.ceil(spec.limits.diskMiB / 1024)));
  return {
    task: { cpu: String(size.cpu), memory: String(size.memory), ephemeralStorage: { sizeInGiB } },
    workspaceMemoryMiB: spec.limits.memoryMiB,
  };
}
