/**
 * Static files: `createStaticHandler(options, fallback)` and its options.
 * Must not: hold logic of its own.
 */
export { createStaticHandler } from './handler.ts';
export { DEFAULT_STATIC_OPTIONS, type StaticOptions, type CacheControlRule } from './options.ts';
