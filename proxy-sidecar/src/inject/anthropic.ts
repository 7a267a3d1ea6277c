import type { AnthropicSettings } from '../policy/egress-policy.js';
import type { Injector } from './injector.js';

/** Sets the real `x-api-key`; the workspace only ever holds a placeholder. */
export function anthropicInjector(settings: AnthropicSettings): Injector {
  return {
    name: 'anthropic',
    needsBody: false,
    apply(request) {
      delete request.headers['authorization'];
      request.headers['x-api-key'] = settings.apiKey;
    },
  };
}
