/**
 * The second half of `npm run build`, after `tsc -p tsconfig.build.json`: finishes dist/ so that
 * what `npm pack` ships is exactly what src/ compiles to, and resolves for a consumer.
 *   1. Rewrites relative `.ts` specifiers in the emitted declarations to `.js`. tsc's
 *      `rewriteRelativeImportExtensions` rewrites them in the JavaScript only and keeps
 *      `from './router.ts'` in the `.d.ts` files (microsoft/TypeScript#61037, by design: tsc
 *      itself maps `.ts` to `.d.ts` in a declaration file). But the package holds no `.ts` file:
 *      editors, API extractors, and bundlers or test runners that load declarations through
 *      tsconfig `paths` would look for one. `./router.js` is the specifier every TypeScript
 *      since 4.7 resolves to `router.d.ts` under node16/nodenext/bundler resolution.
 *   2. Removes what no source produces any more (a renamed file's old output would otherwise be
 *      packed), and empty folders.
 *   3. Checks that every relative specifier in dist/ (JavaScript and declarations) names a file
 *      that is there, and that no TypeScript source slipped in; the build fails otherwise.
 * Specifiers are found with TypeScript's own parser, not a regular expression, so a string in a
 * comment or a doc example is never rewritten.
 * Must not: compile anything, or touch a file outside dist/.
 */

import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = import.meta.dirname;
const CONFIG = join(ROOT, 'tsconfig.build.json');

/** Extension of a TypeScript module specifier → what the emitted code is called. */
const EMITTED: Readonly<Record<string, string>> = { '.ts': '.js', '.mts': '.mjs', '.cts': '.cjs' };

interface Specifier {
  readonly text: string;
  /** Offsets of the text inside its quotes. */
  readonly start: number;
  readonly end: number;
}

/** The build's compiler options and source files, read the way tsc reads them. */
function readBuildConfig(): { outDir: string; rootDir: string; sources: string[] } {
  const parsed = ts.getParsedCommandLineOfConfigFile(CONFIG, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  const { outDir, rootDir } = parsed?.options ?? {};
  if (!parsed || outDir === undefined || rootDir === undefined)
    throw new Error(`${CONFIG}: no outDir/rootDir`);
  return { outDir, rootDir, sources: parsed.fileNames };
}

/** Every file under `dir`, as absolute paths. */
function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** What tsc emits for the sources: `x.js`, `x.js.map`, `x.d.ts` per `x.ts`. */
function expectedOutputs(outDir: string, rootDir: string, sources: readonly string[]): Set<string> {
  const outputs = new Set<string>();
  for (const source of sources) {
    const stem = join(outDir, relative(rootDir, source)).replace(/\.ts$/, '');
    for (const suffix of ['.js', '.js.map', '.d.ts']) outputs.add(stem + suffix);
  }
  return outputs;
}

/** Module specifiers of a file: imports, re-exports, `import('…')` types and calls, augmentations. */
function specifiers(file: string, text: string): Specifier[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: Specifier[] = [];
  const add = (node: ts.Node | undefined): void => {
    if (node === undefined || !ts.isStringLiteralLike(node)) return;
    found.push({ text: node.text, start: node.getStart(source) + 1, end: node.getEnd() - 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isModuleDeclaration(node)) add(node.name);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      add(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../');
}

/** Step 1: `./x.ts` → `./x.js` in one declaration file; returns how many it changed. */
function rewriteDeclaration(file: string): number {
  const text = readFileSync(file, 'utf8');
  const edits = specifiers(file, text).filter((s) => isRelative(s.text) && /\.[mc]?ts$/.test(s.text));
  if (edits.length === 0) return 0;
  let out = text;
  for (const edit of edits.toSorted((a, b) => b.start - a.start)) {
    const ext = /\.[mc]?ts$/.exec(edit.text)?.[0] ?? '.ts';
    out =
      out.slice(0, edit.start) +
      edit.text.slice(0, -ext.length) +
      (EMITTED[ext] ?? '.js') +
      out.slice(edit.end);
  }
  writeFileSync(file, out);
  return edits.length;
}

/** Step 3: the file a relative specifier must find next to `file` (a declaration finds `.d.ts`). */
function target(file: string, specifier: string): string {
  const path = resolve(dirname(file), specifier);
  return file.endsWith('.d.ts') ? path.replace(/\.js$/, '.d.ts').replace(/\.mjs$/, '.d.mts') : path;
}

function finish(): void {
  const { outDir, rootDir, sources } = readBuildConfig();
  const wanted = expectedOutputs(outDir, rootDir, sources);
  const problems: string[] = [];
  let stale = 0;
  let rewritten = 0;
  for (const file of walk(outDir)) {
    if (!wanted.has(file)) {
      rmSync(file);
      stale++;
    } else if (file.endsWith('.d.ts')) rewritten += rewriteDeclaration(file);
  }
  // Deepest first, so a folder emptied of empty folders goes too.
  const dirs = readdirSync(outDir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name))
    .toSorted((a, b) => b.length - a.length);
  for (const dir of dirs) if (readdirSync(dir).length === 0) rmdirSync(dir);
  for (const file of wanted) if (!existsSync(file)) problems.push(`${relative(ROOT, file)}: not emitted`);
  for (const file of walk(outDir).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
    for (const { text } of specifiers(file, readFileSync(file, 'utf8'))) {
      if (!isRelative(text)) continue;
      if (file.endsWith('.d.ts') && /\.[mc]?ts$/.test(text))
        problems.push(`${relative(ROOT, file)}: '${text}'`);
      else if (!existsSync(target(file, text))) problems.push(`${relative(ROOT, file)}: '${text}' not found`);
    }
  }
  if (problems.length > 0) {
    console.error(`build-dist: dist/ does not resolve:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `build-dist: ${wanted.size} files from ${sources.length} sources; ` +
      `${rewritten} declaration specifiers rewritten, ${stale} stale files removed`,
  );
}

finish();
