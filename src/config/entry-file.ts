/**
 * The one rule for reading `app.entry`: `FILE` or `FILE#exportName` (the last `#`, followed by
 * a JavaScript identifier, so a path may hold a `#`), FILE resolved against the working
 * directory. The configuration checks here that FILE exists, so a missing entry is refused like
 * any invalid field (exit 78 at start, a rejected reload on SIGHUP), by the primary, which never
 * imports the module.
 * Must not: import or read the module.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface EntrySpec {
  /** The file as written (before `#`). */
  readonly file: string;
  /** Absolute path of the module. */
  readonly path: string;
  /** `default`, or the name after `#`. */
  readonly exportName: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function parseEntry(entry: string, cwd: string): EntrySpec {
  const hash = entry.lastIndexOf('#');
  const named = hash > 0 && IDENTIFIER.test(entry.slice(hash + 1));
  const file = named ? entry.slice(0, hash) : entry;
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  return { file, path, exportName: named ? entry.slice(hash + 1) : 'default' };
}

/** What is wrong with the directory `dir` (`static.root`), in words, or null when it is one. */
export function directoryProblem(dir: string, cwd: string): string | null {
  const path = isAbsolute(dir) ? dir : resolve(cwd, dir);
  try {
    return statSync(path).isDirectory() ? null : `${path} is not a directory`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code})`;
  }
}

/** What is wrong with the entry's file, in words, or null when it is a readable file. */
export function entryFileProblem(entry: string, cwd: string): string | null {
  const { path } = parseEntry(entry, cwd);
  try {
    return statSync(path).isFile() ? null : `${path} is not a file`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code})`;
  }
}
