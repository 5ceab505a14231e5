#!/usr/bin/env node
// The public API of each published package, as a checked-in report (api/<name>.api.md), so
// that a change to the surface shows up in review. It reads the build's type declarations
// (dist/index.d.ts) with the TypeScript compiler: every export, through namespaces, with its
// kind and its declaration (comments and private members left out).
//
//   node scripts/api-report.mjs            write every report (`pnpm api:update` builds first)
//   node scripts/api-report.mjs --check    exit 1 if a report differs from the build
//
// Each package's test/api.test.ts runs the same comparison in `npm test`. The output depends
// only on the declarations and the pinned TypeScript version: names are sorted, paths are
// relative, and nothing records a time, a version or the machine.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Directories (relative to the root) of the packages that are published. */
export function publishedPackages() {
  const dirs = ['packages', 'plugins'].flatMap((parent) =>
    readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`),
  );
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .filter((dir) => !readJson(join(root, dir, 'package.json')).private)
    .sort();
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** `@agents/plugin-openai` is reported in api/plugin-openai.api.md. */
function reportPath(packageName) {
  return join(root, 'api', `${packageName.replace(/^@[^/]+\//, '')}.api.md`);
}

const KINDS = [
  [ts.SymbolFlags.Class, 'class'],
  [ts.SymbolFlags.Function, 'function'],
  [ts.SymbolFlags.Enum, 'enum'],
  [ts.SymbolFlags.Interface, 'interface'],
  [ts.SymbolFlags.TypeAlias, 'type'],
  [ts.SymbolFlags.Module, 'namespace'],
];

function kindOf(symbol) {
  const kinds = KINDS.filter(([flag]) => symbol.flags & flag).map(([, kind]) => kind);
  if (symbol.flags & ts.SymbolFlags.Variable) {
    const decl = symbol.declarations?.find(ts.isVariableDeclaration);
    const isConst = decl && ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const;
    kinds.unshift(isConst ? 'const' : 'let');
  }
  return kinds.join(' + ') || 'unknown';
}

function isHidden(member) {
  if (member.name && ts.isPrivateIdentifier(member.name)) return true;
  return (ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Private) !== 0;
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/** One declaration as it reads in the .d.ts, without `export declare`, comments or privates. */
function printDeclaration(node) {
  const sourceFile = node.getSourceFile();
  if (ts.isVariableDeclaration(node)) {
    const keyword = ts.getCombinedNodeFlags(node) & ts.NodeFlags.Const ? 'const' : 'let';
    return `${keyword} ${printer.printNode(ts.EmitHint.Unspecified, node, sourceFile)};`;
  }
  let printed = node;
  if (ts.isClassDeclaration(node)) {
    printed = ts.factory.updateClassDeclaration(
      node,
      node.modifiers,
      node.name,
      node.typeParameters,
      node.heritageClauses,
      node.members.filter((member) => !isHidden(member)),
    );
  }
  return printer
    .printNode(ts.EmitHint.Unspecified, printed, sourceFile)
    .replace(/^(export |declare |default )+/, '');
}

/**
 * The module specifier ('pino', '@agents/core') an export is re-exported from when it is not
 * declared in this package (its declarations were stubbed out), else undefined.
 */
function externalSource(checker, symbol) {
  let alias = symbol;
  while (alias.flags & ts.SymbolFlags.Alias) {
    const next = checker.getImmediateAliasedSymbol(alias);
    if (!next?.declarations?.length) {
      const declaration = alias.declarations?.[0];
      const exportDeclaration = declaration && ts.findAncestor(declaration, ts.isExportDeclaration);
      const specifier = exportDeclaration?.moduleSpecifier;
      return specifier && ts.isStringLiteral(specifier) ? specifier.text : '(unresolved)';
    }
    alias = next;
  }
  return undefined;
}

/**
 * Records in `found` the symbols of this package that `declaration` names in a type position
 * (annotations, `typeof X`, `extends X`), with their declaring file.
 */
function collectReferences(checker, declaration, ownDir, found) {
  const visit = (node) => {
    if (ts.isClassDeclaration(node) || ts.isClassElement(node)) {
      if (node !== declaration && isHidden(node)) return;
    }
    let name = ts.isTypeReferenceNode(node)
      ? node.typeName
      : ts.isTypeQueryNode(node)
        ? node.exprName
        : ts.isExpressionWithTypeArguments(node)
          ? node.expression
          : undefined;
    // `typeof Kind.AUDIO` and `ns.Type` name the object or namespace, not the member.
    while (name && (ts.isQualifiedName(name) || ts.isPropertyAccessExpression(name))) {
      name = ts.isQualifiedName(name) ? name.left : name.expression;
    }
    if (name) {
      let symbol = checker.getSymbolAtLocation(name);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const declared = symbol?.declarations?.[0];
      const file = declared?.getSourceFile().fileName;
      const isParameter = symbol && symbol.flags & ts.SymbolFlags.TypeParameter;
      // `import type * as llm from '../llm/index.js'` names a whole module: its members are
      // reported where the module is exported (`export * as llm`), and its own name would be
      // the file's absolute path, which differs on every machine.
      const isModule = declared !== undefined && ts.isSourceFile(declared);
      if (file?.startsWith(ownDir) && !isParameter && !isModule) found.set(symbol, file);
    }
    ts.forEachChild(node, visit);
  };
  visit(declaration);
}

/** Sorted by code unit, not locale, so that every machine sorts alike. */
function byName(a, b) {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The report of one package, from its build. Throws if the build is missing.
 * @param {string} packageDir relative to the root, e.g. 'packages/core', or absolute
 */
export function buildReport(packageDir) {
  const dir = resolve(root, packageDir);
  const manifest = readJson(join(dir, 'package.json'));
  const typesFile = manifest.exports?.['.']?.types ?? manifest.types;
  const entryName = join(typesFile ?? 'dist/index.d.ts')
    .split(sep)
    .join('/');
  const entry = join(dir, entryName);
  if (!existsSync(entry)) {
    throw new Error(
      `${relative(root, entry)} not found: build ${manifest.name} first (pnpm build)`,
    );
  }
  // Only the package's own declarations are read: other packages' files (dependencies, the
  // standard library) are stubbed, which keeps this fast and keeps their changes out of the
  // report. A re-export from them is reported by its module specifier.
  const options = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noLib: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readSourceFile = host.getSourceFile.bind(host);
  const ownDir = `${host.realpath?.(dir) ?? dir}${sep}`;
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const real = host.realpath?.(fileName) ?? fileName;
    if (real.startsWith(ownDir) && !real.includes(`${sep}node_modules${sep}`)) {
      return readSourceFile(fileName, languageVersion, ...rest);
    }
    return ts.createSourceFile(fileName, 'export {};', languageVersion);
  };
  const program = ts.createProgram({ rootNames: [entry], options, host });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry));
  const summary = [];
  const sections = [];
  const exportedTargets = new Set();
  const referenced = new Map();

  const walk = (symbol, prefix, depth) => {
    const exports = checker
      .getExportsOfModule(symbol)
      .map((exported) => ({ name: exported.getName(), exported }))
      .sort(byName);
    for (const { name, exported } of exports) {
      const qualified = prefix + name;
      const indent = '  '.repeat(depth);
      const from = externalSource(checker, exported);
      if (from) {
        summary.push(`${indent}- \`${qualified}\`: re-exported from ${from}`);
        continue;
      }
      const target =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = target.declarations ?? [];
      const isNamespace =
        target.flags & ts.SymbolFlags.Module &&
        declarations.some((d) => ts.isSourceFile(d) || ts.isModuleDeclaration(d));
      summary.push(`${indent}- \`${qualified}\`: ${isNamespace ? 'namespace' : kindOf(target)}`);
      if (isNamespace) {
        walk(target, `${qualified}.`, depth + 1);
        continue;
      }
      const ordered = [...declarations].sort((a, b) => {
        const fa = relative(dir, a.getSourceFile().fileName).split(sep).join('/');
        const fb = relative(dir, b.getSourceFile().fileName).split(sep).join('/');
        return fa === fb ? a.pos - b.pos : fa < fb ? -1 : 1;
      });
      exportedTargets.add(target);
      for (const declaration of ordered)
        collectReferences(checker, declaration, ownDir, referenced);
      const text = ordered.map(printDeclaration).join('\n');
      sections.push(`### \`${qualified}\`\n\n\`\`\`ts\n${text}\n\`\`\``);
    }
  };
  walk(moduleSymbol, '', 0);
  // Like api-extractor's "forgotten exports": types a user meets in the API but cannot name.
  const unexported = [...referenced]
    .filter(([symbol]) => !exportedTargets.has(symbol))
    .map(([symbol, file]) => ({
      name: `${symbol.getName()} (${relative(dir, file).split(sep).join('/')})`,
    }))
    .sort(byName)
    .map(({ name }) => `- \`${name.replace(' (', '` (')}`);

  const reportName = relative(root, reportPath(manifest.name)).split(sep).join('/');
  return {
    name: manifest.name,
    path: reportPath(manifest.name),
    reportName,
    text: [
      `# ${manifest.name}: public API`,
      '',
      `Generated from \`${relative(root, join(dir, entryName)).split(sep).join('/')}\` by \`scripts/api-report.mjs\`;`,
      'do not edit. Regenerate with `pnpm api:update` when a change to the API is intended; a test',
      'fails while this file and the build disagree.',
      '',
      '## Exports',
      '',
      ...summary,
      '',
      '## Referenced but not exported',
      '',
      ...(unexported.length ? unexported : ['(none)']),
      '',
      '## Declarations',
      '',
      sections.join('\n\n'),
      '',
    ].join('\n'),
  };
}

/**
 * Compares the build of one package with its checked-in report.
 * @param {string} packageDir relative to the root, e.g. 'packages/core'
 */
export function checkReport(packageDir) {
  const report = buildReport(packageDir);
  const committed = existsSync(report.path) ? readFileSync(report.path, 'utf8') : null;
  const missing = committed === null ? ` (${report.reportName} does not exist yet)` : '';
  return {
    ok: committed === report.text,
    actual: report.text,
    committed: committed ?? '',
    message:
      `the public API of ${report.name} changed: run \`pnpm api:update\` and commit ` +
      `${report.reportName} if that was intended${missing}`,
  };
}

function main(args) {
  const check = args.includes('--check');
  let failed = false;
  for (const dir of publishedPackages()) {
    if (check) {
      const result = checkReport(dir);
      if (!result.ok) {
        console.error(result.message);
        failed = true;
      }
    } else {
      const report = buildReport(dir);
      mkdirSync(dirname(report.path), { recursive: true });
      writeFileSync(report.path, report.text);
      console.log(`wrote ${report.reportName}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`api-report: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  }
}
