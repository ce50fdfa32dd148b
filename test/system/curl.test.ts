/**
 * The real `curl` binary against the demo application: keep-alive reuse, HTTP/1.0, HEAD,
 * POST with Expect: 100-continue, chunked answers and pipelined-order delays. Needs the Debian
 * package `curl`; without it this suite fails (it does not skip) so CI cannot pass silently.
 */

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/index.ts';
import { Router } from '../../src/server/index.ts';
import { cleanup, startServer, track } from '../support/server.ts';

afterEach(cleanup);

beforeAll(() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('curl is not installed: install the Debian package `curl` (apt-get install curl)');
  }
});

function curl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], (error, stdout, stderr) => {
      if (error) reject(new Error(`curl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe('curl', () => {
  it('GETs / and reuses one connection for two URLs', async () => {
    const { url } = await startServer(createApp());
    const { stdout, stderr } = await curl(['--verbose', `${url}/`, `${url}/healthz`]);
    expect(stdout).toBe('Hello, World!ok\n');
    expect(stderr).toMatch(/Re-using existing connection|Reusing existing/);
  });

  it('speaks HTTP/1.0 and HEAD', async () => {
    const { url } = await startServer(createApp());
    const v10 = await curl(['--http1.0', '--include', `${url}/`]);
    expect(v10.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(v10.stdout).toContain('Connection: close\r\n');
    const head = await curl(['--head', `${url}/`]);
    expect(head.stdout).toContain('Content-Length: 13\r\n');
  });

  it('POSTs a large body with Expect: 100-continue to /echo', async () => {
    const { url } = await startServer(createApp());
    const body = 'x'.repeat(200_000);
    const dir = mkdtempSync(join(tmpdir(), 'samovar-curl-'));
    const file = join(dir, 'body');
    writeFileSync(file, body);
    track({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const { stdout, stderr } = await curl([
      '--verbose',
      '-H',
      'Expect: 100-continue',
      '-H',
      'Content-Type: text/x-test',
      '--data-binary',
      `@${file}`,
      `${url}/echo`,
    ]);
    expect(stderr).toContain('HTTP/1.1 100 Continue');
    expect(stdout.length).toBe(body.length);
  });

  it('reads a chunked stream', async () => {
    const app = new Router().get('/s', (_req, res) => res.stream(['a', 'b', 'c']));
    const { url } = await startServer(app.handler());
    const { stdout } = await curl([`${url}/s`]);
    expect(stdout).toBe('abc');
  });
});
