/**
 * Berth's one validation library: zod in its tree-shakable `zod/mini` form. Packages that define schemas of
 * their own — settings, not wire formats, such as core's config or the proxy's environment — import it as
 * `import * as z from '@berth/protocol/validation'` and never import zod themselves, so the system has one
 * zod, in one form (scripts/check-dependencies.mjs enforces it).
 *
 * A star re-export from its own subpath, never a namespace object (`export { z }`) and never from the package
 * index: a bundler cannot tree-shake a namespace that is re-exported as a value, so that form kept all of
 * zod/mini and every message locale (~420 KB) in every Lambda; this one keeps only what a consumer calls.
 */
export * from 'zod/mini';
