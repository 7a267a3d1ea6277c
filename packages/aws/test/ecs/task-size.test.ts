import type { ContainerSpec } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { fargateSize, taskSizeOverrides } from '../../src/ecs/task-size.js';

const spec = (limits: ContainerSpec['limits']) => ({ limits }) as ContainerSpec;

describe('task size overrides', () => {
  it.each([
    [256, 400, { cpu: 256, memory: 512 }],
    [256, 1500, { cpu: 256, memory: 2048 }],
    [512, 2304, { cpu: 512, memory: 3072 }],
    [2048, 2304, { cpu: 2048, memory: 4096 }],
    [1024, 9000, { cpu: 2048, memory: 9216 }],
    [4096, 31000, { cpu: 8192, memory: 32768 }],
    [8192, 20000, { cpu: 8192, memory: 20480 }],
  ])('Fargate: %i cpu units and %i MiB → the smallest valid size', (cpu, memory, size) => {
    expect(fargateSize(cpu, memory)).toEqual(size);
  });

  it('refuses what no Fargate size holds', () => {
    expect(() => fargateSize(16384, 200_000)).toThrow(/no Fargate task size/);
  });

  it('keeps the template memory as the workspace limit and adds the sidecar to the task', () => {
    const r = taskSizeOverrides(spec({ cpus: 2, memoryMiB: 2048, pids: 100, diskMiB: 5120 }), {
      sidecarMemoryMiB: 256,
      fargate: true,
    });
    expect(r).toEqual({
      task: { cpu: '2048', memory: '4096', ephemeralStorage: { sizeInGiB: 21 } },
      workspaceMemoryMiB: 2048,
    });
  });

  it('gives a large disk its size in GiB, up to Fargate’s 200', () => {
    const disk = (diskMiB: number) =>
      taskSizeOverrides(spec({ cpus: 1, memoryMiB: 1024, pids: 100, diskMiB }), {
        sidecarMemoryMiB: 256,
        fargate: true,
      }).task;
    expect(disk(50 * 1024 + 1)).toMatchObject({ ephemeralStorage: { sizeInGiB: 51 } });
    expect(disk(204_800)).toMatchObject({ ephemeralStorage: { sizeInGiB: 200 } });
  });

  it('on EC2 capacity: the sum as asked, no ephemeral storage override', () => {
    const r = taskSizeOverrides(spec({ cpus: 0.5, memoryMiB: 1000, pids: 100, diskMiB: 5120 }), {
      sidecarMemoryMiB: 256,
      fargate: false,
    });
    expect(r).toEqual({ task: { cpu: '512', memory: '1256' }, workspaceMemoryMiB: 1000 });
  });
});
