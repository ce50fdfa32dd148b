/**
 * The fetch adapter's public surface: `fetchHandler(app)` serves a WHATWG fetch application as a
 * native Samovar handler; `installFastResponse()` makes the global `Response` the lightweight one
 * the adapter writes without building undici's (the worker calls it once, before importing a
 * fetch app).
 * Must not: hold logic of its own.
 */
export { fetchHandler, FETCH_ROUTE } from './adapter.ts';
export {
  LightResponse,
  installFastResponse,
  uninstallFastResponse,
  NativeResponse,
} from './light-response.ts';
export { LazyRequest } from './lazy-request.ts';
export type { FetchApp, FetchInfo, FetchAdapterOptions } from './types.ts';
