/**
 * What a worker serves: the application named by `app.entry` (or the built-in demo when it is
 * empty), made ready: imported, classified, its `setup` awaited, a `{ fetch }` app put behind
 * the fetch adapter. The result is one native handler plus the `close` to await on drain.
 * Any failure here is an `EntryError`: the worker reports it and the primary decides.
 * Must not: know the cluster (the worker passes who it is), or answer health paths.
 */

import type { Config } from '../config/index.ts';
import { createApp } from '../app/index.ts';
import type { Handler } from '../server/index.ts';
import { EntryError, errorText, loadEntry } from './load.ts';
import { AppKind, handlerOf } from './shape.ts';
import type { CloseInfo, Lifecycle, SetupContext } from './shape.ts';

/** A worker's application, ready to serve. */
export interface ServedApp {
  readonly handler: Handler;
  /** `fetch` or `native` (the demo is native). */
  readonly kind: AppKind;
  /** Awaits the application's own `close`, if it has one; never rejects (failures are returned). */
  close(info: CloseInfo): Promise<string | null>;
}

/** Loads and sets up the configured application; throws an `EntryError`. */
export async function prepareApp(
  config: Config,
  context: SetupContext<Config>,
  cwd: string = process.cwd(),
): Promise<ServedApp> {
  const entry = config.app.entry;
  if (entry === '') return { handler: createApp(context), kind: AppKind.NATIVE, close: noClose };
  // Loaded only for an entry (the demo does without it), and installed before the entry's
  // import: a module that keeps a reference to `Response` keeps the light one too.
  const { fetchHandler, installFastResponse } = await import('../fetch/index.ts');
  installFastResponse();
  const classified = await loadEntry(entry, cwd);
  const app: Lifecycle<Config> = classified.app;
  if (app.setup !== undefined) {
    try {
      await app.setup(context);
    } catch (error) {
      throw new EntryError('setup', entry, `setup() of ${entry} failed: ${errorText(error)}`, error);
    }
  }
  const handler = handlerOf(classified, fetchHandler);
  return { handler, kind: classified.kind, close: (info) => closeApp(app, info) };
}

async function closeApp(app: Lifecycle, info: CloseInfo): Promise<string | null> {
  if (app.close === undefined) return null;
  const left = info.deadline - Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, left), `close() did not finish within ${Math.max(0, left)} ms`);
  });
  try {
    const done = Promise.resolve(app.close(info)).then(
      () => null,
      (error: unknown) => `close() failed: ${errorText(error)}`,
    );
    return await Promise.race([done, late]);
  } catch (error) {
    return `close() failed: ${errorText(error)}`;
  } finally {
    clearTimeout(timer);
  }
}

function noClose(): Promise<null> {
  return Promise.resolve(null);
}
