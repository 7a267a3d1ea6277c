import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import type { GetEventsOptions } from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  parseDockerEvent,
  subscribeDockerEvents,
  type DockerEventMessage,
  type WorkspaceContainerEvent,
} from '../../src/runtime/docker-events.js';

const event = (Action: string, attrs: Record<string, string> = {}): DockerEventMessage => ({
  Type: 'container',
  Action,
  Actor: {
    ID: 'c1',
    Attributes: {
      'dev.berth.managed': 'true',
      'dev.berth.workspace-id': 'ws_1',
      name: 'berth-ws_1',
      ...attrs,
    },
  },
  time: 1700000000,
  timeNano: 1700000000123456000, // engine values exceed 2^53; JSON.parse rounds them like this
});

describe('parseDockerEvent', () => {
  it('die carries the exit code and the time in ms', () => {
    expect(parseDockerEvent(event('die', { exitCode: '137' }))).toEqual({
      kind: 'event',
      event: { taskRef: 'c1', workspaceId: 'ws_1', action: 'die', exitCode: 137, at: 1700000000123 },
    });
  });
  it('oom has no exit code', () => {
    expect(parseDockerEvent(event('oom'))).toMatchObject({
      kind: 'event',
      event: { action: 'oom', exitCode: null },
    });
  });
  it('kill is remembered with its signal', () => {
    expect(parseDockerEvent(event('kill', { signal: '9' }))).toEqual({
      kind: 'kill',
      taskRef: 'c1',
      signal: 9,
    });
  });
  it('ignores other actions, other types and unlabelled containers', () => {
    expect(parseDockerEvent(event('start'))).toBeNull();
    expect(parseDockerEvent({ ...event('die'), Type: 'network' })).toBeNull();
    expect(parseDockerEvent(event('die', { 'dev.berth.managed': 'false' }))).toBeNull();
  });
  it("with an instance, takes its containers and pre-instance ones, not another Berth's", () => {
    const mine = event('die', { 'dev.berth.instance': 'aaa' });
    const theirs = event('die', { 'dev.berth.instance': 'bbb' });
    expect(parseDockerEvent(mine, 'dev.berth', 'aaa')).not.toBeNull();
    expect(parseDockerEvent(event('die'), 'dev.berth', 'aaa')).not.toBeNull();
    expect(parseDockerEvent(theirs, 'dev.berth', 'aaa')).toBeNull();
    expect(parseDockerEvent(theirs)).not.toBeNull(); // no instance given: every Berth's
  });
  it('honours a custom label prefix', () => {
    const msg: DockerEventMessage = {
      ...event('die', { exitCode: '0' }),
      Actor: { ID: 'c2', Attributes: { 'x.managed': 'true', 'x.workspace-id': 'ws_2', exitCode: '0' } },
    };
    expect(parseDockerEvent(msg, 'x')).toMatchObject({
      event: { taskRef: 'c2', workspaceId: 'ws_2', exitCode: 0 },
    });
    expect(parseDockerEvent(msg)).toBeNull();
  });
});

describe('subscribeDockerEvents (fake engine)', () => {
  /** A Dockerode stand-in whose event streams the test feeds by hand. */
  const fakeDocker = () => {
    const streams: PassThrough[] = [];
    const calls: GetEventsOptions[] = [];
    const docker = {
      getEvents: async (opts: GetEventsOptions) => {
        calls.push(opts);
        const s = new PassThrough();
        streams.push(s);
        return s;
      },
    } as unknown as Dockerode;
    return { docker, streams, calls };
  };
  const line = (msg: DockerEventMessage) => `${JSON.stringify(msg)}\n`;
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  };

  it('filters to Berth containers, pairs kill with die, splits lines across chunks', async () => {
    const { docker, streams, calls } = fakeDocker();
    const got: WorkspaceContainerEvent[] = [];
    const sub = await subscribeDockerEvents({ docker, onEvent: (e) => got.push(e) });
    expect(calls[0]?.filters).toEqual({
      type: ['container'],
      event: ['die', 'oom', 'kill'],
      label: ['dev.berth.managed=true'],
    });
    const kill = line({ ...event('kill', { signal: '9' }), timeNano: 1_700_000_000_000_000_000 });
    const die = line({ ...event('die', { exitCode: '137' }), timeNano: 1_700_000_000_001_000_000 });
    streams[0]!.write(kill + die.slice(0, 20));
    streams[0]!.write(die.slice(20));
    await until(() => got.length === 1);
    expect(got).toEqual([
      { taskRef: 'c1', workspaceId: 'ws_1', action: 'die', exitCode: 137, at: 1_700_000_000_001, signal: 9 },
    ]);
    sub.close();
  });

  it('reconnects when the stream ends, from the last event, without duplicates', async () => {
    const { docker, streams, calls } = fakeDocker();
    const got: WorkspaceContainerEvent[] = [];
    const sub = await subscribeDockerEvents({ docker, onEvent: (e) => got.push(e), reconnectDelayMs: 1 });
    const oom = line({ ...event('oom'), timeNano: 1_700_000_000_500_000_000 });
    streams[0]!.write(oom);
    streams[0]!.end();
    await until(() => streams.length === 2);
    expect(calls[1]?.since).toBe(1_700_000_000.5);
    // The engine replays from `since`: the oom again (dropped), then a new die.
    streams[1]!.write(
      oom + line({ ...event('die', { exitCode: '0' }), timeNano: 1_700_000_001_000_000_000 }),
    );
    await until(() => got.length === 2);
    expect(got.map((e) => [e.action, e.signal])).toEqual([
      ['oom', null],
      ['die', null],
    ]);
    sub.close();
    streams[1]!.end();
    await new Promise((r) => setTimeout(r, 20));
    expect(streams).toHaveLength(2); // closed: no reconnect
  });
});
