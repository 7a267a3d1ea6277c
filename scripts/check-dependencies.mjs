#!/usr/bin/env node
// The dependency rules of ARCHITECTURE.md, checked on every `npm run lint` (CI fails on a violation):
//   - packages/core imports no adapter, no agent, no AWS SDK, no dockerode: it holds the rules and the ports;
//   - packages/protocol imports nothing of Berth's and at most zod: everyone (the agent's image, the SDK) can
//     carry it;
//   - packages/sdk installs with zero dependencies: it imports no package at run time (types from
//     @berth/protocol only as `import type`, which the compiler erases);
//   - workspace-image (the in-container agent) imports only @berth/protocol of Berth's: its image carries
//     nothing else.
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
    why: 'the SDK has zero dependencies: no package at run time, types from @berth/protocol only',
    noRuntimePackages: true,
    typeOnlyAllow: [/^@berth\/protocol$/],
    noDependencies: true,
  },
  {
    dir: 'workspace-image',
    why: "the workspace agent's image carries only @berth/protocol of Berth's packages",
    forbid: [/^@berth\/(?!protocol$)/],
  },
];

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

function sourceFiles(dir) {
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
    if (!ref.typeOnly) return `imports ${ref.specifier} at run time`;
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
