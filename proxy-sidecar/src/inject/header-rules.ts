import type { HeaderInjectionRule } from '../policy/egress-policy.js';
import type { Injector } from './injector.js';

/** Adds or replaces the rule's headers (names are already lower-case). */
export function headerRuleInjector(rule: HeaderInjectionRule): Injector {
  return {
    name: 'header-rule',
    needsBody: false,
    apply(request) {
      for (const [name, value] of Object.entries(rule.headers)) request.headers[name] = value;
    },
  };
}
