import { describe, expect, it, vi } from 'vitest';
import { METRIC } from '@berth/core';
import { makeApi } from './support/app.js';

describe('API metrics', () => {
  it('ApiRequests and ApiLatency count every request, refused ones too', async () => {
    const api = makeApi();
    const added = vi.spyOn(api.observability.metrics, 'addMetric');
    await api.call('GET', '/v1/pool'); // 200
    await api.call('GET', '/v1/nothing-here', { key: null }); // 401
    await api.call('GET', '/v1/workspaces/ws_nope'); // 404
    const count = (name: string) => added.mock.calls.filter(([n]) => n === name).length;
    expect(count(METRIC.ApiRequests)).toBe(3);
    expect(count(METRIC.ApiLatency)).toBe(3);
    expect(count(METRIC.ApiClientErrors)).toBe(2);
  });
});
