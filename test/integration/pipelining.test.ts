/**
 * Pipelining (RFC 9112 §9.3.2): answers strictly in request order even when async handlers
 * finish out of order; a bounded queue beyond which the socket is not read; request bodies
 * between pipelined requests; the per-connection request limit.
 */

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/server/index.ts';
import { RawClient } from '../support/raw-client.ts';
import { cleanup, countWrites, sleep, startServer, waitUntil, watchWrites } from '../support/server.ts';

afterEach(cleanup);

function delayed(): Router {
  return new Router()
    .get('/wait/:ms', async (req, res) => {
      await sleep(Number(req.params.ms));
      res.send(`waited ${req.params.ms}`);
    })
    .get('/stream/:ms', async (req, res) => {
      await sleep(Number(req.params.ms));
      await res.stream(['s', req.params.ms ?? '']);
    })
    .post('/echo', async (req, res) => res.send(await req.body.bytes()));
}

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

describe('pipelining', () => {
  it('writes answers in request order when handlers finish in reverse', async () => {
    const { port } = await startServer(delayed().handler());
    const c = await RawClient.connect(port);
    c.write(get('/wait/60') + get('/wait/30') + get('/stream/10') + get('/wait/0'));
    const rs = await c.responses(4);
    expect(rs.map((r) => r.body.toString())).toEqual(['waited 60', 'waited 30', 's10', 'waited 0']);
  });

  it('answers a batch that arrived in one read with one socket write, in order', async () => {
    const h = new Router()
      .get('/n/:i', (req, res) => res.send(`n${req.params.i}`))
      .get('/bin', (_req, res) => res.send(Buffer.from([0xff, 0x00, 0x41])));
    const { port, server } = await startServer(h.handler());
    const c = await RawClient.connect(port);
    c.write(get('/n/0'));
    await c.responses(1);
    const writes = countWrites(server);
    const batch = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => get(`/n/${i}`)).join('');
    c.write(batch);
    const rs = await c.responses(11);
    expect(rs.slice(1).map((r) => r.body.toString())).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `n${i}`),
    );
    expect(writes).toHaveLength(1);
    // A byte body among strings: corked, still in order.
    writes.length = 0;
    c.write(get('/n/11') + get('/bin') + get('/n/12'));
    const more = await c.responses(14);
    expect(more.slice(11).map((r) => [...r.body])).toEqual([
      [0x6e, 0x31, 0x31],
      [0xff, 0x00, 0x41],
      [0x6e, 0x31, 0x32],
    ]);
    expect(writes.length).toBeGreaterThan(1);
  });

  it('answers a batch to async handlers settled in the same turn with one socket write, in order', async () => {
    const h = new Router().get('/a/:i', async (req, res) => {
      await Promise.resolve();
      await Promise.resolve();
      res.send(`a${req.params.i}`);
    });
    const { port, server } = await startServer(h.handler());
    const c = await RawClient.connect(port);
    c.write(get('/a/0'));
    await c.responses(1);
    const writes = countWrites(server);
    c.write([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => get(`/a/${i}`)).join(''));
    const rs = await c.responses(11);
    expect(rs.slice(1).map((r) => r.body.toString())).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `a${i}`),
    );
    expect(writes).toHaveLength(1);
    // Slower than the turn: written when it comes, not held.
    const slow = new Router().get('/s', async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      res.send('slow');
    });
    const other = await startServer(slow.handler());
    const d = await RawClient.connect(other.port);
    d.write(get('/s'));
    const [answer] = await d.responses(1);
    expect(answer?.body.toString()).toBe('slow');
  });

  it("writes the answers of one turn's reads together, once every read of the turn is parsed", async () => {
    const events: string[] = [];
    const h = new Router().get('/t/:name', (req, res) => {
      events.push(`handler ${req.params.name}`);
      res.send(`t${req.params.name}`);
    });
    const { port, server } = await startServer(h.handler());
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    a.write(get('/t/warm'));
    b.write(get('/t/warm'));
    await Promise.all([a.responses(1), b.responses(1)]);
    for (const conn of server.registry.snapshot()) watchWrites(conn.socket, () => events.push('write'));
    events.length = 0;
    // Both requests reach the kernel before the event loop polls again: one turn reads both.
    a.write(get('/t/a'));
    b.write(get('/t/b'));
    const [ra, rb] = await Promise.all([a.responses(2), b.responses(2)]);
    expect([ra?.[1]?.body.toString(), rb?.[1]?.body.toString()]).toEqual(['ta', 'tb']);
    // Written right after each read, the first answer would leave before the second handler ran.
    expect(events.slice(0, 2).sort()).toEqual(['handler a', 'handler b']);
    expect(events.slice(2)).toEqual(['write', 'write']);
  });

  it('keeps a connection whose answer waits for the turn’s write out of eviction at the cap', async () => {
    const h = new Router().get('/x', (_req, res) => res.send('x'));
    const { port } = await startServer(h.handler(), {
      connections: { maxConnections: 1, evictIdle: true },
    });
    const a = await RawClient.connect(port);
    a.write(get('/x'));
    await a.responses(1);
    // A's request, then B's connection, reach the kernel before the loop polls again: in one turn
    // A is read and answered (the answer waiting for the check phase), then B is accepted at the
    // cap. Counted idle then, A would be evicted for B with its answer unwritten.
    a.write(get('/x'));
    const b = net.connect(port, '127.0.0.1');
    b.on('error', () => undefined);
    const rs = await a.responses(2);
    expect(rs[1]?.body.toString()).toBe('x');
    b.destroy();
  });

  it('answers every request of a deep batch sent before a half-close (RFC 9112 §9.6)', async () => {
    const h = new Router().get('/d/:i', async (req, res) => {
      await sleep(20);
      res.send(`d${req.params.i}`);
    });
    const { port } = await startServer(h.handler(), { connections: { maxPipelinedRequests: 4 } });
    const batch = Array.from({ length: 20 }, (_, i) => get(`/d/${i}`)).join('');
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(batch));
      let text = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => (text += d));
      s.on('close', () => resolve(text));
      s.on('error', reject);
    });
    const bodies = [...answer.matchAll(/\r\n\r\n(d\d+)/g)].map((m) => m[1]);
    expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `d${i}`));
  });

  it('refuses a held-back request whose body the half-close cut, then closes (no hang)', async () => {
    const h = new Router()
      .get('/s', async (_req, res) => {
        await sleep(20);
        res.send('slow');
      })
      .post('/b', async (req, res) => res.send(await req.body.text()));
    const { port } = await startServer(h.handler(), { connections: { maxPipelinedRequests: 1 } });
    // Found by the batch fuzzer: the POST waits behind the limit, its body cut by the FIN.
    const batch = `${get('/s')}POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc`;
    for (const split of [batch.length, 7, 1]) {
      const c = await RawClient.connect(port, { allowHalfOpen: true });
      for (let i = 0; i < batch.length; i += split) c.write(batch.slice(i, i + split));
      c.socket.end();
      await c.readToEnd(3_000);
      const rs = await c.responses(2);
      expect(rs.map((r) => r.status)).toEqual([200, 400]);
      expect(rs[0]?.body.toString()).toBe('slow');
    }
  });

  it('handles pipelined requests with bodies, in one write or byte by byte', async () => {
    const { port } = await startServer(delayed().handler());
    const req = (body: string): string =>
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const chunked =
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';
    const all = req('first') + chunked + req('') + get('/wait/0');
    for (const split of [all.length, 1]) {
      const c = await RawClient.connect(port);
      for (let i = 0; i < all.length; i += split) c.write(all.slice(i, i + split));
      const rs = await c.responses(4);
      expect(rs.map((r) => r.body.toString())).toEqual(['first', 'abcde', '', 'waited 0']);
      c.close();
    }
  });

  it('stops reading when maxPipelinedRequests answers are pending, and resumes', async () => {
    let started = 0;
    const release: (() => void)[] = [];
    const handler = new Router().get('/', async (_req, res) => {
      started++;
      await new Promise<void>((resolve) => release.push(resolve));
      res.send('ok');
    });
    const { port } = await startServer(handler.handler(), { connections: { maxPipelinedRequests: 2 } });
    const c = await RawClient.connect(port);
    c.write(get('/').repeat(5));
    await waitUntil(() => started === 2);
    expect(await c.quietFor(50)).toBe(true);
    expect(started).toBe(2);
    release.shift()?.();
    release.shift()?.();
    await c.responses(2);
    await waitUntil(() => started === 4);
    release.shift()?.();
    release.shift()?.();
    await waitUntil(() => started === 5);
    release.shift()?.();
    const rs = await c.responses(5);
    expect(rs).toHaveLength(5);
  });

  it('closes after maxRequestsPerConnection, saying so on the last answer', async () => {
    const { port } = await startServer(delayed().handler(), { connections: { maxRequestsPerConnection: 2 } });
    const c = await RawClient.connect(port);
    c.write(get('/wait/0') + get('/wait/0') + get('/wait/0'));
    const raw = await c.readToEnd();
    expect(raw.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    const rs = await c.responses(2);
    expect(rs[0]?.get('connection')).toBeUndefined();
    expect(rs[1]?.get('connection')).toBe('close');
    expect(c.error).toBeNull();
  });
});
