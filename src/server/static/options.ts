/**
 * What the static-file handler is told: the `static` group of the configuration (its one
 * declaration, src/config/schema.ts), and its defaults without `root` for embedding and tests
 * (config/defaults.json's, their one home).
 * Must not: read the environment or argv.
 */

import { defaultConfig, type CacheControlRule, type Config } from '../../config/index.ts';

export type { CacheControlRule };

export type StaticOptions = Config['static'];

function withoutRoot({ root: _root, ...rest }: StaticOptions): Omit<StaticOptions, 'root'> {
  return rest;
}

export const DEFAULT_STATIC_OPTIONS: Omit<StaticOptions, 'root'> = Object.freeze(
  withoutRoot(defaultConfig().static),
);
