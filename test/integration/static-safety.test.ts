/**
 * Static files must never leave their root: an attack corpus of traversal spellings (dot
 * segments raw and percent-encoded, encoded slashes and backslashes, NUL, overlong UTF-8,
 * malformed escapes), symlinks out of the root, dotfiles; and file handles must always be closed,
 * including when the client goes away in the middle of a large file (counted in /proc/self/fd).
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from '../support/raw-client.ts';
import { sleep, waitUntil } from '../support/server.ts';
import {
  addHugeFiles,
  ask,
  openFds,
  SECRET,
  serveSite,
  settledFds,
  siteForEachTest,
  TRAVERSAL_CORPUS as CORPUS,
} from '../support/static-site.ts';

const served = siteForEachTest();

describe('the traversal corpus', () => {
  it.each(CORPUS)('%s → %i', async (target, status) => {
    const r = await ask(served.port, target);
    expect(r.status).toBe(status);
    expect(r.body.toString()).not.toContain(SECRET);
    expect(r.body.toString()).not.toContain('root:');
    expect(r.body.toString()).not.toContain('SECRET_KEY');
    expect(r.get('location')).toBeUndefined();
  });

  it('HEAD behaves the same', async () => {
    for (const [target, status] of CORPUS)
      expect((await ask(served.port, target, {}, 'HEAD')).status).toBe(status);
  });

  it('symlinks inside the root are followed', async () => {
    expect((await ask(served.port, '/link-in.txt')).body.toString()).toBe('Hello, static!\n');
    expect((await ask(served.port, '/dirlink-in/')).body.toString()).toBe('<p>index of dir</p>\n');
  });

  it('dotfiles are served when the option says so, and escapes still are not', async () => {
    const s = await serveSite(served.site, { dotfiles: true });
    expect((await ask(s.port, '/.env')).body.toString()).toBe('SECRET_KEY=dotfile\n');
    expect((await ask(s.port, '/link-dot.txt')).status).toBe(200);
    expect((await ask(s.port, '/%2e%2e/outside/secret.txt')).status).toBe(404);
    expect((await ask(s.port, '/link-out.txt')).status).toBe(404);
  });
});

describe('file handles', () => {
  // A FileHandle left open is closed by the garbage collector with a warning (DEP0137): that
  // must never be what closes ours, so any such warning fails the test.
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  beforeEach(() => {
    addHugeFiles(served.site);
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
    expect(warnings.filter((w) => /garbage collection|DEP0137/i.test(w))).toEqual([]);
  });

  /** Starts a GET of a large file, reads a little, then drops the connection mid-body. */
  async function abandon(target: string, headers = ''): Promise<void> {
    const c = await RawClient.connect(served.port);
    c.socket.setNoDelay(true);
    c.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
    await c.waitFor(() => c.received > 0, 5000, 'the first bytes');
    c.socket.pause(); // the server fills the socket buffers and waits on backpressure
    await sleep(50);
    c.socket.destroy();
  }

  it('are closed when the client goes away mid-file, identity and compressed', async () => {
    await ask(served.port, '/hello.txt'); // warm-up: lazy handles (zlib, libuv) exist before counting
    const before = await settledFds();
    for (let i = 0; i < 5; i++) await abandon('/huge.bin');
    for (let i = 0; i < 2; i++) await abandon('/huge.txt', 'Accept-Encoding: gzip\r\n');
    await abandon('/huge.txt', 'Accept-Encoding: br\r\n');
    await abandon('/huge.bin', 'Range: bytes=10-50000000\r\n');
    await waitUntil(() => openFds() <= before, 5000, `fds back to ${before}, now ${openFds()}`);
    expect(await settledFds()).toBe(before);
  });

  it('are held while a large file is being sent and closed after', async () => {
    await ask(served.port, '/hello.txt');
    const before = await settledFds();
    const c = await RawClient.connect(served.port);
    c.write('GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.waitFor(() => c.received > 0, 5000, 'the first bytes');
    c.socket.pause();
    await sleep(100);
    expect(c.received).toBeLessThan(64 * 1024 * 1024); // the server is blocked mid-file
    // Client and server share this process: the client's socket, the server's, and the file.
    expect(openFds()).toBe(before + 3);
    c.socket.resume();
    // Counting bytes, not parsing them: re-splitting 64 MiB on every chunk would take seconds.
    await c.waitFor(() => c.received > 64 * 1024 * 1024, 30_000, 'the whole file');
    await waitUntil(() => openFds() === before + 2, 2000, 'the file to be closed');
    c.close();
    await waitUntil(() => openFds() === before, 5000, 'the sockets to be closed');
  });

  it('are not leaked by many complete requests', async () => {
    await ask(served.port, '/hello.txt');
    const before = await settledFds();
    for (let i = 0; i < 20; i++) {
      await ask(
        served.port,
        i % 2 === 0 ? '/big.bin' : '/big.txt',
        i % 4 === 1 ? { 'Accept-Encoding': 'br' } : {},
      );
    }
    await waitUntil(() => openFds() <= before, 5000, 'fds to settle');
    expect(await settledFds()).toBe(before);
  });
});
