/**
 * Test helper: start a Samovar server on 127.0.0.1:0 with small, overridable options, collect
 * what its error hooks report, and close every server (and raw client) a test opened.
 * Call `cleanup()` from `afterEach` so no handle leaks between tests.
 */

import type { AddressInfo, Socket } from 'node:net';
import {
  createServer,
  Router,
  serverOptions,
  type Handler,
  type Server,
  type ServerOptionsOverrides,
} from '../../src/server/index.ts';
import type { ErrorContext } from '../../src/server/index.ts';

export interface TestServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  /** Handler bugs reported through `onError`. */
  readonly errors: { error: unknown; context: ErrorContext }[];
  /** Protocol error codes reported through `onProtocolError`. */
  readonly protocolErrors: string[];
}

const open: { close(): Promise<void> | void }[] = [];

/** Registers something `cleanup()` must close. */
export function track(resource: { close(): Promise<void> | void }): void {
  open.push(resource);
}

export async function startServer(
  handler: Handler,
  overrides: ServerOptionsOverrides = {},
): Promise<TestServer> {
  const errors: TestServer['errors'] = [];
  const protocolErrors: string[] = [];
  const server = createServer(
    handler,
    serverOptions({
      host: '127.0.0.1',
      port: 0,
      onError: (error, context) => errors.push({ error, context }),
      onProtocolError: (code) => protocolErrors.push(code),
      ...overrides,
    }),
  );
  const address: AddressInfo = await server.listen();
  track(server);
  return { server, port: address.port, url: `http://127.0.0.1:${address.port}`, errors, protocolErrors };
}

/** Closes every server and client opened since the last call. */
export async function cleanup(): Promise<void> {
  const all = open.splice(0);
  await Promise.all(all.map(async (r) => r.close()));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `done` every 10 ms until it holds; rejects after `timeoutMs`. */
export async function waitUntil(done: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A handler for `POST /` that reads the whole body and keeps what the read threw (then rethrows
 * it, as a handler would): for the tests of how a body read fails. `failure` is null until then.
 */
export function bodyReadRecorder(): { readonly handler: Handler; readonly failure: unknown } {
  let failure: unknown = null;
  const router = new Router().post('/', async (req, res) => {
    try {
      await req.body.text();
    } catch (error) {
      failure = error;
      throw error;
    }
    res.send('never');
  });
  return {
    handler: router.handler(),
    get failure() {
      return failure;
    },
  };
}

/** Calls `seen` with every chunk written to `socket` from now on, before it is written. */
export function watchWrites(socket: Socket, seen: (chunk: unknown) => void): void {
  const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
  socket.write = (chunk: unknown, ...rest: unknown[]) => {
    seen(chunk);
    return write(chunk, ...rest);
  };
}

/** Records the size of every socket write of `server`'s only connection from now on. */
export function countWrites(server: Server): number[] {
  const [conn] = server.registry.snapshot();
  const writes: number[] = [];
  watchWrites(conn?.socket as Socket, (chunk) =>
    writes.push(typeof chunk === 'string' ? chunk.length : (chunk as Uint8Array).byteLength),
  );
  return writes;
}
