/**
 * The module contract: what an application entry exports, decided by shape alone.
 *   - `{ fetch(request, info) }`: the WHATWG fetch standard (Hono, itty-router, h3, Bun/Deno
 *     apps as they are). It wins when `handle` is there too: other libraries use the name
 *     `handle` for Node's own `(req, res)`, which Samovar does not speak.
 *   - `{ handle(req, res) }`: Samovar's native handler (src/server/api.ts).
 *   - beside either, optional `setup(context)` (awaited before the worker says ready) and
 *     `close({ reason, deadline })` (awaited when the worker drains, before it exits).
 * Never by a function's arity: `(req, res)` and `(request, env)` both have two parameters.
 * Members are looked up as real properties along the prototype chain, never through `get`:
 * itty-router's router has a Proxy prototype that answers every name (`setup`, `close`, even
 * `then`) with a route-registering function, and must not be taken for having a lifecycle.
 * Must not: import the module (load.ts does) or call anything it exports.
 */

import type { FetchApp as BareFetchApp } from '../fetch/index.ts';
import type { Handler } from '../server/index.ts';

export type { FetchInfo } from '../fetch/index.ts';

/** What `setup` is given: who this worker is and the configuration it runs with. */
export interface SetupContext<C = unknown> {
  /** node:cluster's worker id (0 in a single process). */
  readonly workerId: number;
  /** The worker's slot, 0 … workers-1; a replacement takes the same slot. */
  readonly slot: number;
  /** The configuration generation (1 at start, +1 per reload). */
  readonly generation: number;
  /** Samovar's validated, frozen configuration. */
  readonly config: C;
}

/** Why and by when a worker closes: `close` must finish before `deadline` (epoch ms). */
export interface CloseInfo {
  readonly reason: string;
  readonly deadline: number;
}

export interface Lifecycle<C = unknown> {
  setup?(context: SetupContext<C>): unknown;
  close?(info: CloseInfo): unknown;
}

/** A fetch-standard application, with the optional lifecycle. */
export interface FetchApp<C = unknown> extends BareFetchApp, Lifecycle<C> {}

/** An application written against Samovar's own handler API. */
export interface NativeApp<C = unknown> extends Lifecycle<C> {
  handle: Handler;
}

/** What an entry module exports (by default, or under the name after `#`). */
export type AppModule<C = unknown> = FetchApp<C> | NativeApp<C>;

export const AppKind = { FETCH: 'fetch', NATIVE: 'native' } as const;
export type AppKind = (typeof AppKind)[keyof typeof AppKind];

/** The export, classified; its methods are still called on `app` (so `this` holds). */
export type ClassifiedApp =
  | { readonly kind: typeof AppKind.FETCH; readonly app: FetchApp }
  | { readonly kind: typeof AppKind.NATIVE; readonly app: NativeApp };

export const SHAPES_TEXT =
  "`export default { fetch(request) { … } }` (a fetch-standard app such as Hono) or `export default { handle(req, res) { … } }` (Samovar's handler API), optionally with `setup` and `close`";

/** Classifies `value`, or returns the sentence that says what is wrong with it. */
export function classifyApp(value: unknown): ClassifiedApp | string {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return `it is ${describe(value)}; expected ${SHAPES_TEXT}`;
  }
  const candidate = value;
  const lifecycle = checkLifecycle(candidate);
  if (lifecycle !== null) return lifecycle;
  const app = withLifecycle(candidate);
  if (typeof member(candidate, 'fetch') === 'function') return { kind: AppKind.FETCH, app: app as FetchApp };
  if (typeof member(candidate, 'handle') === 'function')
    return { kind: AppKind.NATIVE, app: app as NativeApp };
  if (typeof value === 'function') {
    return `it is a bare function (${describe(value)}); Samovar decides by shape, never by parameter count: wrap it as { fetch } or { handle }`;
  }
  const keys = Object.keys(candidate).slice(0, 8).join(', ');
  return `it is an object without a fetch or handle method (keys: ${keys || 'none'}); expected ${SHAPES_TEXT}`;
}

/**
 * The native handler that serves `classified`: `handle` called as the export's method (a class
 * keeps its `this`), or `fetch` behind `adapt` (the fetch adapter, passed in so this file need
 * not load it).
 */
export function handlerOf(classified: ClassifiedApp, adapt: (app: FetchApp) => Handler): Handler {
  if (classified.kind === AppKind.FETCH) return adapt(classified.app);
  const app = classified.app;
  return (req, res) => app.handle(req, res);
}

function checkLifecycle(candidate: object): string | null {
  for (const name of ['setup', 'close'] as const) {
    const hook = member(candidate, name);
    if (hook !== undefined && typeof hook !== 'function') {
      return `its ${name} is ${describe(hook)}; it must be a function when present`;
    }
  }
  return null;
}

/**
 * `value` itself when its `setup`/`close` (if any) are real members; else a view that calls
 * `fetch`/`handle` on it and hides what only a Proxy's `get` made up.
 */
function withLifecycle(value: object): object {
  const target = value as Record<string, unknown>;
  const fake = (name: string): boolean => target[name] !== undefined && member(value, name) === undefined;
  if (!fake('setup') && !fake('close')) return value;
  const view: Record<string, unknown> = {};
  for (const name of ['fetch', 'handle', 'setup', 'close']) {
    const fn = member(value, name);
    if (typeof fn === 'function')
      view[name] = (...args: unknown[]): unknown => (fn as (...a: unknown[]) => unknown).apply(value, args);
  }
  return view;
}

/** A property found by descriptor on `value` or its prototypes (a getter is read), else undefined. */
function member(value: object, name: string): unknown {
  for (let o: object | null = value; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d === undefined) continue;
    return d.get !== undefined ? (value as Record<string, unknown>)[name] : d.value;
  }
  return undefined;
}

/** A short, safe description of a value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `the ${typeof value} ${String(value)}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
}
