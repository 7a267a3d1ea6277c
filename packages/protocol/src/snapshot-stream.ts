/**
 * `@berth/protocol/snapshot-stream`: the snapshot format's stream codec (tar reader, manifest builder, digest
 * check). A subpath of its own, not in the main entry, so a bundle that only reads manifests or speaks the API
 * does not carry it: the API loads it lazily, on its first snapshot (docs/lambda-router.md).
 */
export {
  TarFormatError,
  TarParser,
  TarReader,
  type TarEntry,
  type TarEntryType,
  type TarHandlers,
  type TarParserOptions,
} from './snapshot/tar-reader.js';
export { ManifestBuilder, ManifestTap } from './snapshot/manifest-tap.js';
export { DigestCheck } from './snapshot/digest-check.js';
