/**
 * The parts of the tests that prove the shared read buffer (src/server/socket-reads.ts) never
 * overwrites a body piece handed to a handler or waiting for one: over plain HTTP
 * (test/integration/bodies.test.ts) and over TLS (test/integration/tls.test.ts) alike.
 *   - `echoRouter`: `/pieces` reads the body piece by piece, `/late` reads it only after a pause,
 *     both echo it after the pause; `GET /` answers `x`.
 *   - `patternBody`: bytes that differ from every neighbour and from the noise ('z').
 *   - `keepFilling`: pipelined GETs with 7 KB heads of 'z', written every 5 ms on another
 *     connection, so that every read between bodies fills the shared buffer with 'z'.
 */

import { Router } from '../../src/server/index.ts';
import { sleep } from './server.ts';

export function echoRouter(pauseMs: number): Router {
  return new Router()
    .post('/pieces', async (req, res) => {
      const pieces: Buffer[] = [];
      for await (const piece of req.body) pieces.push(piece);
      await sleep(pauseMs);
      res.send(Buffer.concat(pieces));
    })
    .post('/late', async (req, res) => {
      await sleep(pauseMs);
      res.send(await req.body.bytes());
    })
    .get('/', (_req, res) => res.send('x'));
}

export function patternBody(size: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = 0x41 + ((i * 7 + size) % 26);
  return body;
}

/** Starts the noise through `write`; the returned function stops it and waits for the last write. */
export function keepFilling(write: (text: string) => void): () => Promise<void> {
  const batch = `GET / HTTP/1.1\r\nHost: x\r\nX-Fill: ${'z'.repeat(7000)}\r\n\r\n`.repeat(8);
  let stop = false;
  const running = (async (): Promise<void> => {
    while (!stop) {
      write(batch);
      await sleep(5);
    }
  })();
  return () => {
    stop = true;
    return running;
  };
}
