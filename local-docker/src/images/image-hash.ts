import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** Inputs of one image: files (or directories, walked recursively) under `root`, plus plain values. */
export interface HashInputs {
  root: string;
  /** Paths relative to `root`; directories are included whole. */
  files?: readonly string[];
  /** Anything else the image depends on (base image id, package list, ...); JSON-serialised. */
  values?: unknown;
}

function listFiles(root: string, rel: string, out: string[]): void {
  const abs = join(root, rel);
  const st = statSync(abs); // throws ENOENT for a missing input: a silent skip would hide a broken build
  if (st.isDirectory()) {
    for (const name of readdirSync(abs).sort()) listFiles(root, join(rel, name), out);
  } else if (st.isFile()) {
    out.push(rel);
  }
}

/** Sorted, slash-separated list of every file the inputs name. */
export function expandFiles(root: string, paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) listFiles(root, p, out);
  const norm = out.map((p) => relative(root, join(root, p)).split(sep).join(posix.sep));
  return [...new Set(norm)].sort();
}

/**
 * Content hash (sha256 hex) of an image's inputs. Paths and contents both count, so a rename
 * changes the hash; mtimes do not, so a fresh clone or a no-op rebuild keeps it stable.
 */
export function hashInputs(inputs: HashInputs): string {
  const h = createHash('sha256');
  h.update('berth-image-hash/1\0');
  h.update(JSON.stringify(inputs.values ?? null));
  h.update('\0');
  for (const rel of expandFiles(inputs.root, inputs.files ?? [])) {
    const data = readFileSync(join(inputs.root, rel));
    // Length-prefixing keeps "a"+"bc" distinct from "ab"+"c".
    h.update(`${rel}\0${data.length}\0`);
    h.update(data);
  }
  return h.digest('hex');
}
