/**
 * Real clients as oracles: undici (keep-alive and its pipelining option) and Node's own
 * node:http client must read every answer the demo application gives, framing included.
 */

import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, Pool } from 'undici';
import { createApp } from '../../src/app/index.ts';
import { cleanup, startServer, track } from '../support/server.ts';

afterEach(cleanup);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function nodeRequest(
  port: number,
  method: string,
  path: string,
  agent: http.Agent,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.setHeader('content-type', 'text/plain');
    req.end(body);
  });
}

describe('undici', () => {
  it('talks to the demo app over one keep-alive connection', async () => {
    const { url } = await startServer(createApp());
    const client = new Client(url);
    track(client);
    const root = await client.request({ path: '/', method: 'GET' });
    expect(root.statusCode).toBe(200);
    expect(await root.body.text()).toBe('Hello, World!');
    const echo = await client.request({
      path: '/echo',
      method: 'POST',
      body: 'ping',
      headers: { 'content-type': 'application/x-test' },
    });
    expect(echo.headers['content-type']).toBe('application/x-test');
    expect(await echo.body.text()).toBe('ping');
    const tea = await client.request({ path: '/teapot', method: 'GET' });
    expect(tea.statusCode).toBe(418);
    await tea.body.text();
    const head = await client.request({ path: '/', method: 'HEAD' });
    expect(head.headers['content-length']).toBe('13');
    expect(await head.body.text()).toBe('');
  });

  it('pipelines 10 requests on one connection with answers in order', async () => {
    const { url } = await startServer(createApp());
    const client = new Client(url, { pipelining: 10 });
    track(client);
    const delays = [60, 0, 40, 0, 20, 0, 10, 0, 5, 0];
    const answers = await Promise.all(
      delays.map(async (ms) => {
        const r = await client.request({ path: `/delay?ms=${ms}`, method: 'GET' });
        return r.body.text();
      }),
    );
    expect(answers).toEqual(delays.map((ms) => `waited ${ms} ms\n`));
  });

  it('survives many requests over a small pool', async () => {
    const { url } = await startServer(createApp());
    const pool = new Pool(url, { connections: 4, pipelining: 4 });
    track(pool);
    const bodies = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const r = await pool.request({ path: '/echo', method: 'POST', body: `n${i}` });
        return r.body.text();
      }),
    );
    expect(bodies).toEqual(Array.from({ length: 200 }, (_, i) => `n${i}`));
  });
});

describe('node:http client', () => {
  it('reads every demo route, with keep-alive', async () => {
    const { port } = await startServer(createApp());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    track({ close: () => agent.destroy() });
    const root = await nodeRequest(port, 'GET', '/', agent);
    expect(root).toMatchObject({ status: 200, body: 'Hello, World!' });
    const post = await nodeRequest(port, 'POST', '/echo', agent, 'hello');
    expect(post.body).toBe('hello');
    expect(post.headers['content-type']).toBe('text/plain');
    expect((await nodeRequest(port, 'GET', '/teapot', agent)).status).toBe(418);
    expect((await nodeRequest(port, 'GET', '/healthz', agent)).status).toBe(200);
    expect((await nodeRequest(port, 'GET', '/nope', agent)).status).toBe(404);
    expect((await nodeRequest(port, 'GET', '/delay?ms=abc', agent)).status).toBe(400);
    const options = await nodeRequest(port, 'OPTIONS', '/', agent);
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    const put = await nodeRequest(port, 'PUT', '/', agent);
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
  });
});
