import type { ServiceDeps } from './deps.js';

export type ComponentStatus = 'ok' | 'error';
export interface HealthReport {
  status: 'ok' | 'degraded';
  components: { store: ComponentStatus; runtime: ComponentStatus; blobs: ComponentStatus };
}

/** GET /health: each dependency answers within a second or counts as down. */
export async function checkHealth(
  deps: Pick<ServiceDeps, 'store' | 'runtime' | 'blobs'>,
): Promise<HealthReport> {
  const probe = async (p: () => Promise<void>): Promise<ComponentStatus> => {
    try {
      await Promise.race([
        p(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
      ]);
      return 'ok';
    } catch {
      return 'error';
    }
  };
  const [store, runtime, blobs] = await Promise.all([
    probe(() => deps.store.ping()),
    probe(() => deps.runtime.ping()),
    probe(() => deps.blobs.ping()),
  ]);
  const components = { store, runtime, blobs };
  return { status: Object.values(components).every((c) => c === 'ok') ? 'ok' : 'degraded', components };
}
