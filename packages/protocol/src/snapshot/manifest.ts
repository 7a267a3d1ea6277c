export type ManifestEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface ManifestEntry {
  /** Relative to the archived directory, without `./` or a trailing `/`. */
  path: string;
  type: ManifestEntryType;
  /** Bytes of a file (of its target, for a hard link); 0 otherwise. */
  size: number;
  /** SHA-256 (hex) of a file's bytes (of its target's, for a hard link). */
  sha256?: string;
  /** Target of a symlink or hard link. */
  linkname?: string;
}

/**
 * What a file snapshot holds: the tar it was made from (length and SHA-256, checked as it is read back) and
 * every member, so a restored tree can be compared with what was saved.
 */
export interface Manifest {
  version: 1;
  tarBytes: number;
  /** '' in a manifest built without it (a tree's, to compare with: GET /files/manifest). */
  tarSha256: string;
  /** Regular files (hard links included). */
  files: number;
  /** Bytes of regular files (hard links counted once). */
  bytes: number;
  entries: ManifestEntry[];
}

export const MANIFEST_VERSION = 1;

/**
 * Largest manifest anyone reads whole (about 150 bytes an entry: some 800,000 files). A tree with more
 * entries cannot be snapshotted with a manifest.
 */
export const MAX_MANIFEST_BYTES = 128 * 1024 * 1024;

/** `./a/b/` → `a/b`; the archived directory itself is ''. */
export function normalizeTarPath(name: string): string {
  let p = name;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.endsWith('/')) p = p.slice(0, -1);
  return p === '.' ? '' : p;
}

export interface ManifestDifference {
  path: string;
  expected: string;
  actual: string;
}

/** How a restored tree differs from its snapshot. `extra` entries do not make it incomplete. */
export interface ManifestComparison {
  complete: boolean;
  missing: string[];
  different: ManifestDifference[];
  extra: string[];
}

/**
 * Compares a snapshot's manifest with the manifest of the tree it was restored into. A hard link counts as
 * the file it links to (which of two links tar stores as the file depends on the order it walked the tree).
 * Fifos and devices are not compared (the agent does not restore them).
 */
export function compareManifests(expected: Manifest, actual: Manifest): ManifestComparison {
  const have = new Map(actual.entries.map((e) => [e.path, e]));
  const missing: string[] = [];
  const different: ManifestDifference[] = [];
  for (const want of expected.entries) {
    if (want.type === 'other') continue;
    const got = have.get(want.path);
    have.delete(want.path);
    if (!got) {
      missing.push(want.path);
      continue;
    }
    const a = describe(want);
    const b = describe(got);
    if (a !== b) different.push({ path: want.path, expected: a, actual: b });
  }
  const extra = [...have.values()].filter((e) => e.type !== 'other').map((e) => e.path);
  return { complete: missing.length === 0 && different.length === 0, missing, different, extra };
}

/** What must match: a file's size and hash, a symlink's target, a directory's kind. */
function describe(e: ManifestEntry): string {
  switch (e.type) {
    case 'file':
    case 'hardlink':
      return `file ${e.size} bytes sha256 ${e.sha256 ?? '?'}`;
    case 'symlink':
      return `symlink -> ${e.linkname ?? ''}`;
    default:
      return e.type;
  }
}

/** A one-line summary of a comparison for logs and failure reasons (first few paths only). */
export function summarizeComparison(c: ManifestComparison, max = 3): string {
  const parts: string[] = [];
  const list = (xs: string[]) =>
    xs
      .slice(0, max)
      .map((x) => JSON.stringify(x))
      .join(', ') + (xs.length > max ? ', ...' : '');
  if (c.missing.length > 0) parts.push(`${c.missing.length} missing (${list(c.missing)})`);
  if (c.different.length > 0)
    parts.push(`${c.different.length} different (${list(c.different.map((d) => d.path))})`);
  return parts.length > 0 ? parts.join('; ') : 'complete';
}

/** Checks the shape of a manifest read back from storage (it is data, not trusted code). */
export function parseManifest(text: string): Manifest {
  const m = JSON.parse(text) as Partial<Manifest>;
  if (
    m.version !== MANIFEST_VERSION ||
    typeof m.tarBytes !== 'number' ||
    typeof m.tarSha256 !== 'string' ||
    !Array.isArray(m.entries)
  )
    throw new Error('not a snapshot manifest (version 1)');
  return m as Manifest;
}
