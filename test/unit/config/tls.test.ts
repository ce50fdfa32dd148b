/**
 * The tls.* fields at start: the same exit 78, naming the field and the reason, for a file that
 * cannot be read, a key that does not match, an expired certificate, a chain out of order, a
 * cipher list OpenSSL refuses, and the rules between fields; a good pair loads. The material
 * check itself (tls/material.ts) also says when a certificate is close to its end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issue, makeCa, writePem, type Ca } from '../../../harness/tls/certs.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { checkMaterial } from '../../../src/tls/index.ts';

const NODE = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
const START = fileURLToPath(new URL('./fixtures/start.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'samovar-tls-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let ca: Ca;
let good: { cert: string; key: string };
let other: { cert: string; key: string };
let expired: { cert: string; key: string };
let chained: string;
let reversed: string;
let intermediateLeaf: { cert: string; key: string };

beforeAll(async () => {
  ca = await makeCa();
  good = writePem(dir, 'good', await issue(ca));
  other = writePem(dir, 'other', await issue(ca));
  expired = writePem(dir, 'expired', await issue(ca, { fromDays: -30, toDays: -1 }));
  const leaf = await issue(ca);
  intermediateLeaf = writePem(dir, 'leaf', leaf);
  chained = join(dir, 'chain.crt');
  writeFileSync(chained, leaf.cert + ca.cert);
  reversed = join(dir, 'reversed.crt');
  writeFileSync(reversed, ca.cert + leaf.cert);
});

function problems(argv: string[]): string[] {
  const result = loadConfig({ argv, env: {} });
  return result.ok ? [] : result.errors.map((e) => e.message);
}

const tlsArgs = (cert: string, key: string): string[] => ['--tls.cert', cert, '--tls.key', key];

describe('tls.* at start', () => {
  it('loads a matching pair, alone or with its chain', () => {
    expect(problems(tlsArgs(good.cert, good.key))).toEqual([]);
    expect(problems(tlsArgs(chained, intermediateLeaf.key))).toEqual([]);
  });

  it('names the field and the reason: unreadable file, mismatched key, expired, chain out of order', () => {
    expect(problems(tlsArgs(join(dir, 'missing.crt'), good.key))[0]).toMatch(
      /tls\.cert .*missing\.crt does not exist/,
    );
    expect(problems(tlsArgs(good.cert, other.key))[0]).toMatch(
      /tls\.key .*the key does not match the certificate/,
    );
    expect(problems(tlsArgs(expired.cert, expired.key))[0]).toMatch(/tls\.cert .*the certificate expired on/);
    expect(problems(tlsArgs(reversed, intermediateLeaf.key)).join('\n')).toMatch(
      /tls\.cert .*the server's certificate goes first/,
    );
    expect(problems(tlsArgs(good.key, good.key))[0]).toMatch(/tls\.cert .*holds no PEM certificate/);
  });

  it('refuses what OpenSSL refuses, and the rules between fields', () => {
    expect(problems(['--tls.ciphers', 'NOT-A-CIPHER'])[0]).toMatch(/tls\.ciphers .*OpenSSL refuses it/);
    expect(problems(['--tls.cert', good.cert])[0]).toMatch(/tls\.key .*tls\.cert and tls\.key go together/);
    expect(problems(['--tls.http-port', '8081'])[0]).toMatch(/tls\.httpPort .*needs TLS on/);
    expect(problems([...tlsArgs(good.cert, good.key), '--tls.client-auth', 'require'])[0]).toMatch(
      /tls\.ca .*needs tls\.ca/,
    );
    expect(problems([...tlsArgs(good.cert, good.key), '--tls.http-port', '8080'])[0]).toMatch(
      /tls\.httpPort .*must differ from port/,
    );
    expect(problems([...tlsArgs(good.cert, good.key), '--tls.hsts', 'max-age=1; evil'])[0]).toMatch(
      /tls\.hsts/,
    );
  });

  it('exits 78 in a real start with the field and the reason', () => {
    const child = spawnSync(NODE, [START, ...tlsArgs(good.cert, other.key)], {
      env: {},
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.status).toBe(78);
    expect(child.stderr).toMatch(/tls\.key \(env SAMOVAR_TLS_KEY, flag --tls\.key\).*the key does not match/);
  });

  it('warns, without refusing, about a certificate that expires within 14 days', async () => {
    const soon = await issue(ca, { toDays: 5 });
    const result = checkMaterial({ cert: soon.cert, key: soon.key, ca: '' });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.warnings[0]).toMatch(/expires in 4 days/);
    const later = await issue(ca, { toDays: 20 });
    const fine = checkMaterial({ cert: later.cert, key: later.key, ca: '' });
    expect(fine.ok && fine.warnings).toEqual([]);
  });
});
