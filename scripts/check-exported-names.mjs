#!/usr/bin/env node
// One name, one meaning (issue 8, "names that say what they mean"): no name is exported by two packages of
// the workspace, so `AgentError`, `loadConfig` or `RunOptions` cannot mean one thing in core and another in
// the agent. Checked on every `npm run lint` (`npm run check:deps`).
//   - What counts: the exported top-level declarations of each package's src (const, let, var, function,
//     class, interface, type, enum, namespace), and `export { local }` of a name the file declares.
//   - What does not: re-exports (`export { X } from '…'`, or `export type { X }` of an imported X). They are
//     the same thing under the same name, which is the point: a package restating another's type imports it.
//   - ALLOWED lists the names that may repeat, each with why.
// Parsed with TypeScript's parser, as scripts/check-dependencies.mjs does (no new dependency).
//
//   node scripts/check-exported-names.mjs [root]   exit 1, one line per name exported twice

import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { sourceFiles } from './check-dependencies.mjs';

/**
 * @typedef {{ name: string; line: number }} ExportedName
 * @typedef {{ pkg: string; file: string; line: number }} Place
 * @typedef {{ name: string; places: Place[]; message: string }} Collision
 */

/** Names that may be exported by several packages, and why each may. */
export const ALLOWED = {
  handler: 'the name AWS Lambda calls in each entry file (the entry is what tells them apart)',
  default: 'a default export has no name of its own',
};

const isExported = (node) =>
  ts.getModifiers?.(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
const isDefault = (node) =>
  ts.getModifiers?.(node)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword) ?? false;

/** The names one source file exports by declaring them (not by re-exporting another module's). */
export function exportedNames(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const line = (node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  /** @type {Map<string, number>} names declared at the top level, with their lines */
  const declared = new Map();
  /** @type {ExportedName[]} */
  const found = [];
  const namesOf = (statement) => {
    if (ts.isVariableStatement(statement)) {
      return statement.declarationList.declarations.filter((d) => ts.isIdentifier(d.name)).map((d) => d.name);
    }
    const named =
      ts.isFunctionDeclaration(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      ts.isEnumDeclaration(statement) ||
      ts.isModuleDeclaration(statement);
    return named && statement.name && ts.isIdentifier(statement.name) ? [statement.name] : [];
  };
  for (const statement of source.statements) {
    const names = namesOf(statement);
    for (const n of names) declared.set(n.text, line(n));
    if (!isExported(statement)) continue;
    if (isDefault(statement)) found.push({ name: 'default', line: line(statement) });
    else for (const n of names) found.push({ name: n.text, line: line(n) });
  }
  for (const statement of source.statements) {
    if (ts.isExportAssignment(statement)) found.push({ name: 'default', line: line(statement) });
    // `export { a, b as c }` of the file's own declarations; with `from '…'`, or of an import, a re-export.
    if (
      ts.isExportDeclaration(statement) &&
      !statement.moduleSpecifier &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const spec of statement.exportClause.elements) {
        const local = (spec.propertyName ?? spec.name).text;
        if (declared.has(local)) found.push({ name: spec.name.text, line: line(spec) });
      }
    }
  }
  return found;
}

/** A package's own sources: declaration files restate, they do not export anew. */
const ownSources = (dir) => sourceFiles(dir).filter((file) => !file.endsWith('.d.ts'));

/** The workspace packages of the root package.json (its `workspaces`, plain directories). */
function workspacePackages(root) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return manifest.workspaces ?? [];
}

/** Every name exported by more than one package under `root` (a repo, or a fixture tree shaped like one). */
export function checkExportedNames(root, allowed = ALLOWED) {
  /** @type {Map<string, Place[]>} */
  const where = new Map();
  for (const pkg of workspacePackages(root)) {
    for (const file of ownSources(join(root, pkg, 'src'))) {
      for (const { name, line } of exportedNames(file, readFileSync(file, 'utf8'))) {
        if (Object.hasOwn(allowed, name)) continue;
        const places = where.get(name) ?? [];
        places.push({ pkg, file: relative(root, file), line });
        where.set(name, places);
      }
    }
  }
  /** @type {Collision[]} */
  const collisions = [];
  for (const [name, places] of [...where].sort(([a], [b]) => a.localeCompare(b))) {
    const packages = new Set(places.map((p) => p.pkg));
    if (packages.size < 2) continue;
    const at = places.map((p) => `${p.file}:${p.line}`).join(' and ');
    collisions.push({
      name,
      places,
      message: `${name} is exported by ${[...packages].join(' and ')} (${at}): one name, one meaning; import the other package's, or name each by what it is`,
    });
  }
  return collisions;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const root = process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url));
  const collisions = checkExportedNames(root);
  for (const c of collisions) console.error(c.message);
  if (collisions.length > 0) {
    console.error(`check-exported-names: ${collisions.length} name(s) exported by two packages`);
    process.exit(1);
  }
  console.log(`check-exported-names: every exported name belongs to one package`);
}
