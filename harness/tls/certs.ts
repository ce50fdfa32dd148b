/**
 * Certificates made in the test, with Node alone (@peculiar/x509 over WebCrypto, ECDSA P-256):
 * a CA, server certificates it issues (SANs for localhost, 127.0.0.1 and ::1, a serial and a
 * validity window the test chooses), client certificates for mutual TLS, and files to point
 * `tls.cert` / `tls.key` / `tls.ca` at. The system tests do the same with Debian's openssl CLI;
 * these let `npm test` cover TLS without it.
 * Must not: touch anything outside the directory it is given.
 */

import { webcrypto } from 'node:crypto';
type KeyPair = webcrypto.CryptoKeyPair;
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface Pem {
  readonly cert: string;
  readonly key: string;
  /** Upper-case hex, as Node's X509Certificate.serialNumber and `openssl x509 -serial` print it. */
  readonly serial: string;
}

export interface Ca extends Pem {
  readonly keys: KeyPair;
  readonly certificate: x509.X509Certificate;
}

export interface IssueOptions {
  readonly cn?: string;
  /** Hex; random when absent. */
  readonly serial?: string;
  /** Validity, in days from now (negative: in the past). */
  readonly fromDays?: number;
  readonly toDays?: number;
  /** A client certificate (extended key usage clientAuth) instead of a server one. */
  readonly client?: boolean;
}

let serials = 0;

function nextSerial(): string {
  serials++;
  return (Date.now().toString(16) + serials.toString(16).padStart(4, '0')).toUpperCase();
}

async function keyPem(keys: KeyPair): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function generate(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

/** A self-signed CA valid from yesterday for `days`. */
export async function makeCa(name = 'Samovar Test CA', days = 30): Promise<Ca> {
  const keys = await generate();
  const serial = nextSerial();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + days * DAY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: certificate.toString('pem') + '\n', key: await keyPem(keys), serial, keys, certificate };
}

/** A certificate issued by `ca`: a server one for localhost / 127.0.0.1 / ::1 unless `client`. */
export async function issue(ca: Ca, options: IssueOptions = {}): Promise<Pem> {
  const keys = await generate();
  const serial = options.serial ?? nextSerial();
  const usage = options.client ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.certificate, false),
  ];
  if (!options.client) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    );
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${options.cn ?? (options.client ? 'client' : 'localhost')}`,
    issuer: ca.certificate.subject,
    notBefore: new Date(Date.now() + (options.fromDays ?? -1) * DAY_MS),
    notAfter: new Date(Date.now() + (options.toDays ?? 30) * DAY_MS),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return { cert: certificate.toString('pem') + '\n', key: await keyPem(keys), serial };
}

/** Writes `pem` as `<name>.crt` and `<name>.key` in `dir`; returns both paths. */
export function writePem(
  dir: string,
  name: string,
  pem: Pick<Pem, 'cert' | 'key'>,
): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, pem.cert);
  writeFileSync(key, pem.key, { mode: 0o600 });
  return { cert, key };
}
