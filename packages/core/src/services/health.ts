import type { ComponentStatus, HealthReport } from '@berth/protocol';
import type { ServiceDeps } from './deps.js';

/** The answer's types are the public API's (@berth/protocol). */
export type { ComponentStatus, HealthReport };

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
