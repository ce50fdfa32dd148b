/**
 * `serve(app, options?)`: one process, no cluster: tests, embedding, a quick script. The same
 * module contract as the `samovar` command (a `{ fetch }` app, a `{ handle }` app, or a bare
 * native handler function), with `setup` awaited before listening and `close` awaited by
 * `close()`. Production runs the cluster (`samovar ./app.ts`), which adds workers, rolling
 * restarts, metrics and logs.
 * Must not: fork, read the environment or argv, or install a process-wide signal handler.
 */

import type { AddressInfo } from 'node:net';
import { classifyApp, handlerOf, type CloseInfo } from './entry/shape.ts';
import type { AppModule, Lifecycle } from './entry/shape.ts';
import { fetchHandler } from './fetch/index.ts';
import { createServer, serverOptions } from './server/index.ts';
import type { DrainOptions, DrainResult, Handler, Server, ServerOptionsOverrides } from './server/index.ts';

export interface ServeOptions extends ServerOptionsOverrides {
  /** Passed to `setup` as its `config`. */
  readonly config?: unknown;
}

export interface RunningServer {
  /** `http://host:port` as bound (port 0 resolved); `https://` with `tls`. */
  readonly url: string;
  readonly address: AddressInfo;
  /** The engine, for its counters and connection states. */
  readonly server: Server;
  /** Graceful stop: stop accepting, let in-flight requests finish (bounded), then the app's `close`. */
  close(options?: DrainOptions): Promise<DrainResult>;
}

/** Serves `app` in this process until `close()`; resolves once listening (after `setup`). */
export async function serve(app: AppModule | Handler, options: ServeOptions = {}): Promise<RunningServer> {
  const { handler, lifecycle } = toHandler(app);
  await lifecycle?.setup?.({ workerId: 0, slot: 0, generation: 1, config: options.config });
  const server = createServer(handler, serverOptions(options));
  const address = await server.listen();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<DrainResult> | null = null;
  return {
    url: `${server.tls === null ? 'http' : 'https'}://${host}:${address.port}`,
    address,
    server,
    close(drain?: DrainOptions): Promise<DrainResult> {
      closing ??= stop(server, lifecycle, drain);
      return closing;
    },
  };
}

function toHandler(app: AppModule | Handler): { handler: Handler; lifecycle: Lifecycle | null } {
  if (typeof app === 'function' && !('fetch' in app) && !('handle' in app)) {
    return { handler: app, lifecycle: null };
  }
  const classified = classifyApp(app);
  if (typeof classified === 'string') throw new TypeError(`serve(app): ${classified}`);
  return { handler: handlerOf(classified, fetchHandler), lifecycle: classified.app };
}

async function stop(server: Server, lifecycle: Lifecycle | null, drain?: DrainOptions): Promise<DrainResult> {
  const timeoutMs = drain?.timeoutMs ?? 10_000;
  const started = Date.now();
  const result = await server.drain({ graceMs: drain?.graceMs ?? 0, timeoutMs });
  const info: CloseInfo = { reason: 'close', deadline: started + timeoutMs };
  await lifecycle?.close?.(info);
  return result;
}
