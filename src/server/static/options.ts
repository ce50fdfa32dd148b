/**
 * What the static-file handler is told: the same fields as the `static` group of the
 * configuration (so `src/config` stays a leaf and tests can build options by hand), and the
 * defaults for embedding and tests.
 * Must not: read the environment, argv or files.
 */

import type { CacheControlRule } from '../../config/index.ts';

export type { CacheControlRule };

export interface StaticOptions {
  /** Directory served; relative paths are resolved against the working directory. */
  readonly root: string;
  /** URL path the root appears under: `/` or `/a/b` (no trailing slash). */
  readonly mount: string;
  /** File served for a directory URL ending in `/`; '' answers 404 instead. */
  readonly index: string;
  /** Whether names starting with `.` are served. */
  readonly dotfiles: boolean;
  readonly cacheControl: readonly CacheControlRule[];
  /** Serve fresh `FILE.br` / `FILE.gz` siblings to clients that accept them. */
  readonly precompressed: boolean;
  /** Compress compressible types on the fly. */
  readonly compress: boolean;
  /** Smallest file compressed on the fly. */
  readonly compressMinBytes: number;
}

export const DEFAULT_STATIC_OPTIONS: Omit<StaticOptions, 'root'> = Object.freeze({
  mount: '/',
  index: 'index.html',
  dotfiles: false,
  cacheControl: [],
  precompressed: true,
  compress: true,
  compressMinBytes: 1024,
});
