import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The import graph of the TypeScript sources, as the layer tests see it. Only imports that exist
 * at run time count: `import type`, `export type` and imports whose every name is a type are
 * erased by the compiler and load nothing.
 */

export const root = path.resolve(__dirname, '..', '..');
export const rel = (p: string) => path.relative(root, p).split(path.sep).join('/');

export function sourceFiles(dir: string, pattern = /\.ts$/): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p, pattern) : pattern.test(e.name) ? [p] : [];
  });
}

export interface ImportRef {
  specifier: string;
  /** Absolute path of the file a relative specifier names; null for packages and built-ins. */
  file: string | null;
}

const cache = new Map<string, ImportRef[]>();

/**
 * Imports of a .ts file (static, dynamic import() with a literal, and re-exports); with
 * `types: false` only those that load something at run time.
 */
export function imports(file: string, { types }: { types: boolean }): ImportRef[] {
  const key = `${types}:${file}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : null;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      if (types || !typeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : null;
      const typeOnly = node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly));
      if (types || !typeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  const refs = specs.map((specifier) => ({ specifier, file: specifier.startsWith('.') ? resolveTs(path.resolve(path.dirname(file), specifier)) : null }));
  cache.set(key, refs);
  return refs;
}

function resolveTs(base: string): string {
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
    if (/\.ts$/.test(candidate) && existsSync(candidate)) return candidate;
  }
  return base; // not TypeScript (a .json, a .svelte): a leaf
}

/** Every file and package reachable from `entry` through run-time imports, with the chain that reaches it. */
export function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [rel(entry)]]]);
  const stack = [entry];
  while (stack.length) {
    const f = stack.pop()!;
    if (!/\.ts$/.test(f)) continue;
    for (const r of imports(f, { types: false })) {
      const key = r.file ?? r.specifier;
      if (seen.has(key)) continue;
      seen.set(key, [...seen.get(f)!, r.file ? rel(r.file) : r.specifier]);
      if (r.file) stack.push(r.file);
    }
  }
  return seen;
}

/**
 * Import circles among `files` (relative imports between them, type imports included: a circle
 * of types still ties the modules into one knot), each as a list of files.
 */
export function findCycles(files: string[]): string[][] {
  const inSet = new Set(files);
  const state = new Map<string, 'active' | 'done'>();
  const cycles: string[][] = [];
  const walk = (f: string, trail: string[]) => {
    state.set(f, 'active');
    for (const r of imports(f, { types: true })) {
      if (!r.file || !inSet.has(r.file)) continue;
      const s = state.get(r.file);
      if (s === 'active') cycles.push([...trail.slice(trail.indexOf(r.file)), r.file].map(rel));
      else if (s === undefined) walk(r.file, [...trail, r.file]);
    }
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) walk(f, [f]);
  return cycles;
}
