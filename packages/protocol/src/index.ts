/**
 * Berth's wire formats, shared by the control plane and the workspace agent (no runtime dependencies, so the
 * agent's image can carry it). For now: the file snapshot format (a tar stream and its manifest).
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
export {
  MANIFEST_VERSION,
  MAX_MANIFEST_BYTES,
  ManifestBuilder,
  ManifestTap,
  compareManifests,
  normalizeTarPath,
  parseManifest,
  summarizeComparison,
  type Manifest,
  type ManifestComparison,
  type ManifestDifference,
  type ManifestEntry,
  type ManifestEntryType,
} from './snapshot/manifest.js';
export { DigestCheck } from './snapshot/digest-check.js';
