/**
 * The library: `import { serve, Router, HttpError } from 'samovar'`. The handler API is a set of
 * small interfaces (src/server/api.ts), not the engine's classes, so another engine can serve
 * the same handlers. The cluster is `samovar/cluster`, the fetch adapter `samovar/fetch`.
 * Must not: hold logic of its own, or export the engine's internals.
 */

export { serve, type ServeOptions, type RunningServer } from './serve.ts';
export { Router, HttpError, RequestAbortedError, UNMATCHED_ROUTE } from './server/index.ts';
// The handler API, whole: api.ts is the set of small interfaces a handler may call, so every
// name it declares is public (and nothing of the engine is).
export type * from './server/api.ts';
export type { DrainOptions, DrainResult, ServerOptionsOverrides } from './server/index.ts';
export { createStaticHandler, type StaticOptions, type CacheControlRule } from './server/static/index.ts';
export type {
  AppModule,
  FetchApp,
  FetchInfo,
  NativeApp,
  SetupContext,
  CloseInfo,
  Lifecycle,
} from './entry/shape.ts';
export type { Config, ConfigInput } from './config/index.ts';
export { fetchHandler } from './fetch/index.ts';
