/**
 * An oracle for test/cluster/apps.test.ts: one fetch fixture served by a node:http-based fetch
 * server, `node test/support/app-oracle.ts <hono-node|srvx> <fixture.ts>`, on 127.0.0.1 and a port the
 * kernel picks, announced as one JSON line `{"event":"listening","port":N}` on stdout.
 * @hono/node-server runs with its defaults (it replaces the global `Request`/`Response` with its
 * light ones), which is why each oracle has a process of its own: two servers patching the same
 * globals in the test process would measure neither. SIGTERM or the end of stdin (the test
 * process is gone, even killed) closes it.
 * Must not: be served by Samovar or import src/; it is the yardstick, not the subject.
 */

import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';

import { serve as honoServe } from '@hono/node-server';
import { serve as srvxServe } from 'srvx';

interface FetchApp {
  fetch(request: Request, ...rest: unknown[]): Response | Promise<Response>;
}

const HOST = '127.0.0.1';
const [kind, fixture] = process.argv.slice(2);

function announce(port: number): void {
  process.stdout.write(JSON.stringify({ event: 'listening', kind, port }) + '\n');
}

async function main(): Promise<void> {
  if ((kind !== 'hono-node' && kind !== 'srvx') || fixture === undefined) {
    throw new Error('usage: oracle.ts <hono-node|srvx> <fixture.ts>');
  }
  const module = (await import(pathToFileURL(resolve(fixture)).href)) as { default: FetchApp };
  const app = module.default;
  // Called as a method: an app's `fetch` may use `this` (h3's does).
  const fetch = (request: Request, ...rest: unknown[]): Response | Promise<Response> =>
    app.fetch(request, ...rest);
  let close: () => Promise<unknown>;
  if (kind === 'hono-node') {
    const server = honoServe({ fetch, hostname: HOST, port: 0 }, (info: AddressInfo) => announce(info.port));
    close = () => new Promise((done) => server.close(done));
  } else {
    const server = srvxServe({ fetch, hostname: HOST, port: 0, silent: true });
    await server.ready();
    announce((server.node?.server?.address() as AddressInfo).port);
    close = () => server.close(true);
  }
  const stop = (): void => void close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  // The test holds our stdin open: its end means the test process is gone, however it ended.
  process.stdin.once('end', stop).resume();
}

await main();
