/**
 * Loads an application entry in a worker: `./app.ts`, `./dist/server.js#app` (a named export),
 * resolved against the working directory, imported once, classified by shape (shape.ts). Every
 * way this can fail becomes one `EntryError` that says what failed, where, and what was
 * expected, so the primary can log it once and decide (exit at first start, abort a roll).
 * `.ts` entries run through Node's type stripping: erasable syntax only, and not from inside
 * node_modules (Node refuses there).
 * Must not: run in the primary (the roll loads new code only through new workers), call the
 * app's `setup` (the worker does, so it can bound it), or catch what `fetch`/`handle` throw.
 */

import { pathToFileURL } from 'node:url';
import { entryFileProblem, parseEntry } from '../config/index.ts';
import { classifyApp, describe } from './shape.ts';
import type { ClassifiedApp } from './shape.ts';

/** An entry that cannot be served; `stage` says how far loading got. */
export class EntryError extends Error {
  readonly stage: 'resolve' | 'import' | 'shape' | 'setup';
  readonly entry: string;

  constructor(stage: EntryError['stage'], entry: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'EntryError';
    this.stage = stage;
    this.entry = entry;
  }
}

/** Imports the entry and classifies its export; throws an `EntryError`. */
export async function loadEntry(entry: string, cwd: string): Promise<ClassifiedApp> {
  const spec = parseEntry(entry, cwd);
  const problem = entryFileProblem(entry, cwd);
  if (problem !== null) throw new EntryError('resolve', entry, `cannot load the application: ${problem}`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(spec.path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new EntryError('import', entry, `cannot import ${spec.path}: ${errorText(error)}`, error);
  }
  if (!(spec.exportName in module)) {
    const names = Object.keys(module).join(', ') || 'none';
    const what = spec.exportName === 'default' ? 'no default export' : `no export named ${spec.exportName}`;
    throw new EntryError('shape', entry, `${spec.path} has ${what} (its exports: ${names})`);
  }
  const classified = classifyApp(module[spec.exportName]);
  if (typeof classified === 'string') {
    const which = spec.exportName === 'default' ? 'the default export' : `the export ${spec.exportName}`;
    throw new EntryError('shape', entry, `${which} of ${spec.path} cannot be served: ${classified}`);
  }
  return classified;
}

/** An error's first line, with Node's code when it has one (ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX …). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return describe(error);
  const code = (error as NodeJS.ErrnoException).code;
  const text = `${error.name}: ${error.message}`;
  return code !== undefined && !text.includes(code) ? `${text} (${code})` : text;
}
