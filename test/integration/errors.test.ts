/**
 * Errors, three kinds kept apart: protocol errors get one fixed answer with `Connection: close`
 * and a lingering close so the client reads it before any reset (RFC 9112 §9.6); a handler's
 * throw or rejection becomes one 500 and one report, and the server keeps serving.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_ERRORS } from '../../src/http/errors.ts';
import { HttpError, Router } from '../../src/server/index.ts';
import { RawClient, rawExchange } from '../support/raw-client.ts';
import { bodyReadRecorder, cleanup, sleep, startServer } from '../support/server.ts';

afterEach(cleanup);

const ok = new Router()
  .get('/', (_req, res) => res.send('ok'))
  .post('/', (_req, res) => res.send('ok'))
  .post('/read', async (req, res) => res.send(await req.body.bytes()));

describe('protocol errors', () => {
  const cases: [string, string, number][] = [
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400],
    ['a missing Host', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['an unsupported version', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
    [
      'CL with TE',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
      400,
    ],
    [
      'an unknown transfer coding',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      501,
    ],
  ];
  for (const [what, request, status] of cases) {
    it(`answers ${what} with ${status}, fixed text and Connection: close`, async () => {
      const { port, protocolErrors } = await startServer(ok.handler());
      const c = await RawClient.connect(port);
      c.write(request);
      const raw = await c.readToEnd();
      const code = protocolErrors[0] as keyof typeof PROTOCOL_ERRORS;
      expect(PROTOCOL_ERRORS[code].status).toBe(status);
      const text = PROTOCOL_ERRORS[code].reason + '\n';
      expect(raw.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
      expect(raw).toContain(`\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`);
      expect(raw.endsWith(text)).toBe(true);
      expect(c.error).toBeNull();
      expect(protocolErrors).toHaveLength(1);
    });
  }

  it('answers 413 for a declared body above the limit, without echoing anything', async () => {
    const { port } = await startServer(ok.handler(), { limits: { maxBodyBytes: 10 } });
    const raw = await rawExchange(port, 'POST /<script> HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n');
    expect(raw.startsWith('HTTP/1.1 413 ')).toBe(true);
    expect(raw.endsWith('\r\n\r\nRequest body too large\n')).toBe(true);
  });

  it('answers queued pipelined requests first, then the error', async () => {
    const slow = new Router().get('/', async (_req, res) => {
      await sleep(30);
      res.send('first');
    });
    const { port } = await startServer(slow.handler());
    const raw = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nBAD\r\n\r\n');
    expect(raw.indexOf('first')).toBeGreaterThan(0);
    expect(raw.indexOf('HTTP/1.1 400')).toBeGreaterThan(raw.indexOf('first'));
  });

  it('lingers: a client still sending after the error reads the whole answer, no reset', async () => {
    const { port } = await startServer(ok.handler(), { limits: { maxBodyBytes: 1000 } });
    const c = await RawClient.connect(port);
    c.write('POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    // A chunked body that grows past the limit while the client keeps writing.
    const chunk = `400\r\n${'z'.repeat(0x400)}\r\n`;
    for (let i = 0; i < 50; i++) c.write(chunk);
    await c.waitFor(() => c.text.includes('Request body too large\n'));
    for (let i = 0; i < 20; i++) c.write(chunk);
    await sleep(50);
    c.socket.end();
    await c.readToEnd();
    expect(c.error).toBeNull();
    expect(c.text.startsWith('HTTP/1.1 413 ')).toBe(true);
  });

  it('an invalid chunk after the handler started reading fails its body and answers 400', async () => {
    const reader = bodyReadRecorder();
    const { port, errors } = await startServer(reader.handler);
    const raw = await rawExchange(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nZZ\r\n',
    );
    expect(raw.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(raw).toContain('Invalid chunk size\n');
    expect(reader.failure).toBeInstanceOf(HttpError);
    expect(errors).toHaveLength(0);
  });
});

describe('handler errors', () => {
  it('turns a throw into 500, reports it once with the request id, and keeps serving', async () => {
    const boom = new Router()
      .get('/sync', () => {
        throw new Error('sync boom');
      })
      .get('/async', async () => {
        await sleep(1);
        throw new Error('async boom');
      })
      .get('/forgot', () => {})
      .get('/', (_req, res) => res.send('alive'));
    const { port, errors } = await startServer(boom.handler());
    const c = await RawClient.connect(port);
    for (const p of ['/sync', '/async', '/forgot', '/']) c.write(`GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const rs = await c.responses(4);
    expect(rs.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(rs[0]?.body.toString()).toBe('Internal Server Error\n');
    expect(rs[0]?.raw).not.toContain('boom');
    const reports = errors.map((e) => `${e.context.requestId} ${(e.error as Error).message}`).sort();
    expect(reports).toEqual([
      '1 sync boom',
      '2 async boom',
      '3 handler for GET /forgot returned without responding',
    ]);
    expect(c.ended).toBe(false);
  });

  it('answers an HttpError with its status and message, unreported', async () => {
    const h = new Router().get('/', () => {
      throw new HttpError(409, 'Conflict here');
    });
    const { port, errors } = await startServer(h.handler());
    const raw = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(raw.startsWith('HTTP/1.1 409 Conflict\r\n')).toBe(true);
    expect(raw.endsWith('\r\n\r\nConflict here\n')).toBe(true);
    expect(errors).toHaveLength(0);
  });

  it('cuts the connection when a stream fails after its head was sent', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield 'part';
      await sleep(5);
      throw new Error('source died');
    }
    const h = new Router().get('/', (_req, res) => res.stream(failing()));
    const { port, errors } = await startServer(h.handler());
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.readToEnd();
    expect(c.text).toContain('4\r\npart\r\n');
    expect(c.text).not.toContain('0\r\n\r\n');
    expect(errors).toHaveLength(1);
  });

  it('answers 500 when a stream fails before its first chunk', async () => {
    const failing: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<string>> => {
          await sleep(1);
          throw new Error('early');
        },
      }),
    };
    const h = new Router().get('/', (_req, res) => res.stream(failing));
    const { port, errors } = await startServer(h.handler());
    const raw = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(raw.startsWith('HTTP/1.1 500 ')).toBe(true);
    expect(errors).toHaveLength(1);
  });
});
