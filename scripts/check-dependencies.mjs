#!/usr/bin/env node
// The dependency rules of ARCHITECTURE.md, checked on every `npm run lint` (CI fails on a violation):
//   - packages/core imports no adapter, no agent, no AWS SDK, no dockerode: it holds the rules and the ports;
//   - packages/protocol imports nothing of Berth's and at most zod: everyone (the agent's image, the SDK) can
//     carry it;
//   - packages/sdk installs with zero dependencies: it imports no package at run time but the zod-free
//     @berth/protocol/client, whose code and types its build inlines (packages/sdk/scripts/bundle.mjs);
//   - workspace-image (the in-container agent) imports only @berth/protocol of Berth's: its image carries
//     nothing else;
//   - only packages/protocol imports zod (others take its request schemas, or `@berth/protocol/validation`
//     for schemas of their own), so there is one zod in one tree-shakable form; and no package re-declares a schema the protocol
//     owns (a top-level declaration named like one of packages/protocol/src/api's exports).
// Each rule reads the package's package.json (dependencies) and the import statements of its src files,
// parsed with TypeScript's parser (no new dependency; comments and strings are not mistaken for imports).
//
//   node scripts/check-dependencies.mjs [root]   exit 1, one line per violation; root defaults to the repo

import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * @typedef {{ specifier: string; typeOnly: boolean; line: number }} ImportRef
 * @typedef {{
 *   dir: string;
 *   why: string;
 *   forbid?: RegExp[];
 *   allowOnly?: RegExp[];
 *   typeOnlyAllow?: RegExp[];
 *   bundledAllow?: RegExp[];
 *   noRuntimePackages?: boolean;
 *   noDependencies?: boolean;
 * }} Rule
 * @typedef {{ file: string; line?: number; message: string }} Violation
 */

const NODE_BUILTIN = /^node:/;

/** @type {Rule[]} */
export const RULES = [
  {
    dir: 'packages/core',
    why: 'core imports no adapter, no agent, no AWS SDK and no dockerode',
    forbid: [
      /^@berth\/(aws|local-docker|functions|workspace-agent|proxy-sidecar|sdk|cli)(\/|$)/,
      /^@aws-sdk\//,
      /^dockerode(\/|$)/,
    ],
  },
  {
    dir: 'packages/protocol',
    why: "protocol imports nothing of Berth's and at most zod",
    allowOnly: [NODE_BUILTIN, /^zod(\/|$)/],
  },
  {
    dir: 'packages/sdk',
    why: 'the SDK has zero dependencies: at run time only @berth/protocol/client, which its bundle inlines',
    noRuntimePackages: true,
    typeOnlyAllow: [/^@berth\/protocol(\/client)?$/],
    bundledAllow: [/^@berth\/protocol\/client$/],
    noDependencies: true,
  },
  {
    dir: 'workspace-image',
    why: "the workspace agent's image carries only @berth/protocol of Berth's packages",
    // The protocol's subpaths (./validation) are the same package.
    forbid: [/^@berth\/(?!protocol(\/|$))/],
  },
];

/** Packages checked by the zod rule: every workspace but the protocol. */
export const ZOD_USERS = [
  'packages/core',
  'packages/aws',
  'packages/functions',
  'packages/sdk',
  'packages/cli',
  'workspace-image',
  'proxy-sidecar',
  'local-docker',
];
const ZOD = /^zod(\/|$)/;
const ZOD_WHY =
  "only packages/protocol imports zod: use its schemas, or '@berth/protocol/validation' for a package's own";

/** Names exported by the protocol's request schema files (packages/protocol/src/api/*.ts). */
function protocolSchemaNames(root) {
  const names = new Set();
  for (const file of sourceFiles(join(root, 'packages/protocol/src/api'))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    for (const statement of source.statements) {
      const exported = ts.getModifiers?.(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (exported && ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations)
          if (ts.isIdentifier(d.name)) names.add(d.name.text);
      }
    }
  }
  return names;
}

/** Top-level declarations (const, let, function, class) of one source file, with their lines. */
function declarationsOf(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const line = (node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  /** @type {{ name: string; line: number }[]} */
  const found = [];
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations)
        if (ts.isIdentifier(d.name)) found.push({ name: d.name.text, line: line(d) });
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
      found.push({ name: statement.name.text, line: line(statement) });
    }
  }
  return found;
}

/** Violations of the zod rule: zod imported or declared outside the protocol, a protocol schema re-declared. */
function zodViolations(root) {
  /** @type {Violation[]} */
  const violations = [];
  const owned = protocolSchemaNames(root);
  for (const dir of ZOD_USERS) {
    const manifestPath = join(root, dir, 'package.json');
    let manifest = {};
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    } catch {
      // A package the tree does not have (fixtures hold a few): nothing to check.
    }
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const name of Object.keys(manifest[field] ?? {})) {
        if (ZOD.test(name))
          violations.push({
            file: relative(root, manifestPath),
            message: `declares the dependency ${name} (${ZOD_WHY})`,
          });
      }
    }
    for (const file of sourceFiles(join(root, dir, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const ref of importsOf(file, text)) {
        if (ZOD.test(ref.specifier))
          violations.push({
            file: relative(root, file),
            line: ref.line,
            message: `imports ${ref.specifier} (${ZOD_WHY})`,
          });
      }
      for (const d of declarationsOf(file, text)) {
        if (owned.has(d.name)) {
          violations.push({
            file: relative(root, file),
            line: d.line,
            message: `declares ${d.name}, a schema packages/protocol owns (import it from @berth/protocol)`,
          });
        }
      }
    }
  }
  return violations;
}

/** Every import, re-export, dynamic import() and require() of one source file. */
export function importsOf(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  /** @type {ImportRef[]} */
  const found = [];
  const add = (literal, typeOnly) =>
    found.push({
      specifier: literal.text,
      typeOnly,
      line: source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1,
    });
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ?? false);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      // `typeof import('x')` in a type position: erased like `import type`.
      if (ts.isStringLiteral(node.argument.literal)) add(node.argument.literal, true);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const SOURCE = /\.(ts|mts|cts|tsx|js|mjs|cjs)$/;

/** Every source file under `dir`, recursively (none when it does not exist). */
export function sourceFiles(dir) {
  /** @type {string[]} */
  const files = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.isFile() && SOURCE.test(entry.name)) files.push(path);
  }
  return files;
}

const isPackage = (specifier) => !specifier.startsWith('.') && !specifier.startsWith('/');

/** Why one import breaks a rule, or undefined. */
function importProblem(rule, ref) {
  if (!isPackage(ref.specifier)) return undefined;
  if (rule.forbid?.some((re) => re.test(ref.specifier))) return `imports ${ref.specifier}`;
  if (rule.allowOnly && !rule.allowOnly.some((re) => re.test(ref.specifier)))
    return `imports ${ref.specifier}`;
  if (rule.noRuntimePackages) {
    const allowedType = rule.typeOnlyAllow?.some((re) => re.test(ref.specifier)) ?? false;
    const bundled = rule.bundledAllow?.some((re) => re.test(ref.specifier)) ?? false;
    if (!ref.typeOnly && !bundled) return `imports ${ref.specifier} at run time`;
    if (!allowedType) return `imports types from ${ref.specifier}`;
  }
  return undefined;
}

/** Why one declared dependency breaks a rule, or undefined. */
function dependencyProblem(rule, name) {
  if (rule.noDependencies) return `declares the dependency ${name}`;
  if (rule.forbid?.some((re) => re.test(name))) return `declares the dependency ${name}`;
  if (rule.allowOnly && !rule.allowOnly.some((re) => re.test(name))) return `declares the dependency ${name}`;
  return undefined;
}

/** All violations of RULES under `root` (a repo, or a fixture tree shaped like one). */
export function checkDependencies(root) {
  /** @type {Violation[]} */
  const violations = [];
  for (const rule of RULES) {
    const pkgDir = join(root, rule.dir);
    const manifestPath = join(pkgDir, 'package.json');
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    } catch (err) {
      violations.push({ file: relative(root, manifestPath), message: `cannot read: ${err.message}` });
      continue;
    }
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const name of Object.keys(manifest[field] ?? {})) {
        const problem = dependencyProblem(rule, name);
        if (problem)
          violations.push({ file: relative(root, manifestPath), message: `${problem} (${rule.why})` });
      }
    }
    for (const file of sourceFiles(join(pkgDir, 'src'))) {
      for (const ref of importsOf(file, readFileSync(file, 'utf8'))) {
        const problem = importProblem(rule, ref);
        if (problem) {
          violations.push({
            file: relative(root, file),
            line: ref.line,
            message: `${problem} (${rule.why})`,
          });
        }
      }
    }
  }
  violations.push(...zodViolations(root));
  return violations;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const root = process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url));
  const violations = checkDependencies(root);
  for (const v of violations) {
    console.error(`${v.file}${v.line ? `:${v.line}` : ''}: ${v.message}`);
  }
  if (violations.length > 0) {
    console.error(`check-dependencies: ${violations.length} violation(s) of the dependency rules`);
    process.exit(1);
  }
  console.log(`check-dependencies: ${RULES.map((r) => r.dir).join(', ')} keep their dependency rules`);
}
