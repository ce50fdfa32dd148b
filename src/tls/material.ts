/**
 * Certificate material: reads the PEM files a configuration names (`tls.cert` with its chain,
 * `tls.key`, `tls.ca`), and says in words what is wrong before a worker ever tries to serve them:
 * an unreadable file, text that is not PEM, an encrypted key, a key that does not belong to the
 * certificate, a chain out of order, a certificate not yet valid or expired; and, as a warning
 * only, one that expires within `EXPIRY_WARNING_DAYS`. The same check runs at start (exit 78 with
 * the field) and on SIGHUP (a bad pair keeps the running one), so both refuse the same things.
 * Must not: log, exit or hold state; keep a private key anywhere but in the result it returns.
 */

import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { DAY_MS, EXPIRY_WARNING_DAYS } from './profile.ts';

/** Where the material is: file paths as configured (relative to the working directory). */
export interface MaterialPaths {
  readonly cert: string;
  readonly key: string;
  /** CA bundle for client certificates; '' when none. */
  readonly ca: string;
}

/** The material itself, PEM text: what the primary hands to workers (JSON-safe). */
export interface TlsMaterial {
  /** The server certificate first, then its intermediates. */
  readonly cert: string;
  readonly key: string;
  /** '' when no client CA is configured. */
  readonly ca: string;
}

/** What operators and metrics need to know about the served certificate. */
export interface CertificateFacts {
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex, as `openssl x509 -serial` prints it. */
  readonly serial: string;
  /** Milliseconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly fingerprint256: string;
  /** Certificates in the cert file (the server's and its intermediates). */
  readonly chainLength: number;
}

export type MaterialField = keyof MaterialPaths;

export interface MaterialProblem {
  readonly field: MaterialField;
  readonly problem: string;
}

export type MaterialResult =
  | {
      readonly ok: true;
      readonly material: TlsMaterial;
      readonly facts: CertificateFacts;
      /** Not errors: a certificate close to its end. */
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly problems: readonly MaterialProblem[] };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads and checks the files at `paths` (relative ones against `cwd`) as of `now`. */
export function loadMaterial(paths: MaterialPaths, cwd: string, now = Date.now()): MaterialResult {
  const problems: MaterialProblem[] = [];
  const read = (field: MaterialField): string => {
    const path = paths[field];
    if (path === '') return '';
    const absolute = isAbsolute(path) ? path : resolve(cwd, path);
    try {
      return readFileSync(absolute, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      const why =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code})`;
      problems.push({ field, problem: `${absolute} ${why}` });
      return '';
    }
  };
  const material = { cert: read('cert'), key: read('key'), ca: read('ca') };
  if (problems.length > 0) return { ok: false, problems };
  return checkMaterial(material, now);
}

/** Checks PEM material already in memory (the library path, and `loadMaterial`'s second half). */
export function checkMaterial(material: TlsMaterial, now = Date.now()): MaterialResult {
  const problems: MaterialProblem[] = [];
  const chain = parseCertificates(material.cert, 'cert', problems);
  const key = parseKey(material.key, problems);
  if (material.ca !== '') parseCertificates(material.ca, 'ca', problems);
  const leaf = chain[0];
  if (leaf === undefined || key === null) return { ok: false, problems };
  if (!leaf.checkPrivateKey(key)) {
    problems.push({
      field: 'key',
      problem: `the key does not match the certificate (${oneLine(leaf.subject)})`,
    });
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i] as X509Certificate;
    if (!child.checkIssued(chain[i + 1] as X509Certificate)) {
      problems.push({
        field: 'cert',
        problem: `certificate ${i + 2} in the file did not issue certificate ${i + 1}: the server's certificate goes first, then each issuer in order`,
      });
      break;
    }
  }
  chain.forEach((cert, i) => {
    const which =
      i === 0 ? 'the certificate' : `certificate ${i + 1} in the chain (${oneLine(cert.subject)})`;
    const notAfter = Date.parse(cert.validTo);
    const notBefore = Date.parse(cert.validFrom);
    if (notAfter <= now) problems.push({ field: 'cert', problem: `${which} expired on ${iso(notAfter)}` });
    else if (notBefore > now)
      problems.push({ field: 'cert', problem: `${which} is not valid before ${iso(notBefore)}` });
  });
  if (problems.length > 0) return { ok: false, problems };
  const facts = factsOf(leaf, chain.length);
  return { ok: true, material, facts, warnings: expiryWarnings(facts, now) };
}

/** The facts of the first certificate in PEM text (the served one). */
export function certificateFacts(pem: string): CertificateFacts {
  const chain = parseCertificates(pem, 'cert', []);
  const leaf = chain[0];
  if (leaf === undefined) throw new TypeError('no PEM certificate');
  return factsOf(leaf, chain.length);
}

/** The warning for a certificate within `EXPIRY_WARNING_DAYS` of its end, if it is. */
export function expiryWarnings(facts: CertificateFacts, now: number): string[] {
  const left = facts.notAfter - now;
  if (left >= EXPIRY_WARNING_DAYS * DAY_MS) return [];
  const days = Math.floor(left / DAY_MS);
  const when = days === 0 ? 'in less than a day' : `in ${days} day${days === 1 ? '' : 's'}`;
  return [
    `the certificate (${facts.subject}, serial ${facts.serial}) expires ${when}, on ${iso(facts.notAfter)}`,
  ];
}

function factsOf(leaf: X509Certificate, chainLength: number): CertificateFacts {
  return {
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    serial: leaf.serialNumber.toUpperCase(),
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
    fingerprint256: leaf.fingerprint256,
    chainLength,
  };
}

function parseCertificates(
  text: string,
  field: MaterialField,
  problems: MaterialProblem[],
): X509Certificate[] {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    problems.push({ field, problem: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)' });
    return [];
  }
  const certs: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certs.push(new X509Certificate(block));
    } catch {
      problems.push({ field, problem: `certificate ${i + 1} in the file is not a valid X.509 certificate` });
      return [];
    }
  }
  return certs;
}

function parseKey(text: string, problems: MaterialProblem[]): KeyObject | null {
  if (!text.includes('-----BEGIN')) {
    problems.push({ field: 'key', problem: 'holds no PEM private key (-----BEGIN … PRIVATE KEY-----)' });
    return null;
  }
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ERR_MISSING_PASSPHRASE'
        ? 'the key is encrypted; Samovar reads unencrypted keys only (protect the file instead)'
        : 'is not a readable PEM private key';
    problems.push({ field: 'key', problem });
    return null;
  }
}

/** `CN=a\nO=b` (Node's multi-line form) as `CN=a, O=b`. */
function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
