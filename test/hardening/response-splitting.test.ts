/**
 * Response splitting (RFC 9110 §5.5, CWE-113) through the public API only: every way a handler
 * can put bytes in a response head — `header()` names and values, arrays (Set-Cookie), numbers,
 * `HttpError` messages, `status()` — with CR, LF, NUL and other controls. Each must throw a
 * TypeError at the call (or, for an error message, stay in the body), and the bytes on the wire
 * must parse strictly as exactly the responses asked for: no injected field, no second response,
 * and the next pipelined request on the same connection is still answered in its place.
 */

import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, Router } from '../../src/server/index.ts';
import type { Response } from '../../src/server/index.ts';
import { RawClient } from '../support/raw-client.ts';
import { cleanup, startServer } from '../support/server.ts';
import { readResponses } from '../../harness/fuzz/responses.ts';

afterEach(cleanup);

const INJECTIONS = [
  'a\r\nInjected: yes',
  'a\nInjected: yes',
  'a\rInjected: yes',
  'a\r\n\r\nHTTP/1.1 200 OK\r\nInjected: yes\r\n\r\n',
  'a\0b',
  'a\x7fb',
  'a\x1bb',
  'a\u0100b',
  'a\u2028b',
  '\r\n',
];

const BAD_NAMES = ['Injected: yes\r\nX', 'x\r\n', 'x\n', 'x y', 'x:y', '', 'x\0', 'é'];

type Attempt = (res: Response) => void;

const attempts: [string, Attempt][] = [
  ...INJECTIONS.map((v): [string, Attempt] => [`value ${JSON.stringify(v)}`, (res) => res.header('x-v', v)]),
  ...BAD_NAMES.map((n): [string, Attempt] => [`name ${JSON.stringify(n)}`, (res) => res.header(n, 'v')]),
  ...INJECTIONS.slice(0, 3).map((v): [string, Attempt] => [
    `array element ${JSON.stringify(v)}`,
    (res) => res.header('set-cookie', ['ok=1', v]),
  ]),
  ['content-type', (res) => res.header('content-type', 'text/html\r\nInjected: yes')],
  ['content-length', (res) => res.header('content-length', '5\r\nInjected: yes')],
  ['status code', (res) => res.status(200.5)],
];

describe('handler-supplied heads', () => {
  it.each(attempts)(
    'refuse %s with a TypeError/RangeError and keep the wire clean',
    async (_name, attempt) => {
      const thrown: unknown[] = [];
      const app = new Router()
        .get('/try', (_req, res) => {
          try {
            attempt(res);
          } catch (error) {
            thrown.push(error);
          }
          res.send('fine');
        })
        .get('/next', (_req, res) => res.send('next'));
      const { port } = await startServer(app.handler());
      const c = await RawClient.connect(port);
      c.write(
        'GET /try HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      );
      await c.readToEnd();
      expect(thrown).toHaveLength(1);
      expect(thrown[0]).toSatisfy((e) => e instanceof TypeError || e instanceof RangeError);
      const read = readResponses(c.bytes, () => false);
      expect(read.error).toBeNull();
      expect(read.responses.map((r) => [r.status, r.body.toString()])).toEqual([
        [200, 'fine'],
        [200, 'next'],
      ]);
      expect(c.text.toLowerCase()).not.toContain('injected');
      // The head holds only what Samovar writes plus, at most, a Set-Cookie set before the bad one.
      const names = read.responses[0]?.fields.map(([n]) => n);
      expect(
        names?.filter((n) => !['content-type', 'date', 'content-length', 'set-cookie'].includes(n)),
      ).toEqual([]);
    },
  );

  it('keep an HttpError message with CR/LF in the body, never in the head', async () => {
    const app = new Router().get('/', () => {
      throw new HttpError(400, 'bad\r\nInjected: yes\r\n\r\nHTTP/1.1 200 OK');
    });
    const { port } = await startServer(app.handler());
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await c.readToEnd();
    const read = readResponses(c.bytes, () => false);
    expect(read.error).toBeNull();
    expect(read.responses).toHaveLength(1);
    expect(read.responses[0]?.status).toBe(400);
    expect(read.responses[0]?.fields.some(([n]) => n === 'injected')).toBe(false);
    expect(read.responses[0]?.body.toString()).toContain('Injected: yes');
  });

  it('answer one 500 when the TypeError escapes the handler', async () => {
    const app = new Router().get('/', (_req, res) => {
      res.header('x-a', 'ok\r\nInjected: yes').send('never');
    });
    const { port, errors } = await startServer(app.handler());
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await c.readToEnd();
    const read = readResponses(Buffer.from(c.bytes), () => false);
    expect(read.error).toBeNull();
    expect(read.responses.map((r) => r.status)).toEqual([500]);
    expect(c.text).not.toContain('Injected');
    expect(errors.map((e) => (e.error as Error).name)).toEqual(['TypeError']);
  });
});
