/**
 * The TLS layer's pure parts (src/tls): the ticket-key ring's rotation order, what the ticket
 * callback answers for each key (seal with `current`; open `next` and `previous` but ask for a
 * renewal; refuse an unknown one), the fallback without Node's callback hook, the kind a
 * failed handshake is counted under, and the verdict on a connection's first bytes (every prefix).
 */
import { describe, expect, it } from 'vitest';
import {
  classifyFirstBytes,
  failureKind,
  FirstBytes,
  MAX_RECORD_BYTES,
  TicketKeyRing,
  TicketKeys,
  TICKET_KEY_BYTES,
} from '../../src/tls/index.ts';
import type { SecureContext } from 'node:tls';

type Callback = (name: Buffer, iv: Buffer, encrypt: boolean) => unknown[];

/** A stand-in for Node's native context: records what TicketKeys installs. */
function fakeContext(withHook: boolean): { context: SecureContext; native: Record<string, unknown> } {
  const native: Record<string, unknown> = { setTicketKeys: (key: Buffer) => (native.single = key) };
  if (withHook) native.enableTicketKeyCallback = () => (native.enabled = true);
  return { context: { context: native }, native };
}

describe('TicketKeyRing', () => {
  it('rotates previous ← current ← next ← fresh, 48-byte keys', () => {
    let n = 0;
    const ring = new TicketKeyRing((bytes) => Buffer.alloc(bytes, ++n));
    const before = ring.list();
    expect(before.map((k) => Buffer.from(k, 'base64')[0])).toEqual([1, 2, 3]);
    ring.rotate();
    expect(ring.list().map((k) => Buffer.from(k, 'base64')[0])).toEqual([4, 1, 2]);
    expect(Buffer.from(ring.list()[0] as string, 'base64')).toHaveLength(TICKET_KEY_BYTES);
  });
});

describe('TicketKeys', () => {
  const ring = new TicketKeyRing();
  const [next, current, previous] = ring.list().map((k) => Buffer.from(k, 'base64')) as [
    Buffer,
    Buffer,
    Buffer,
  ];

  it('seals with current, opens current (1), next and previous with a renewal (2), refuses others (0)', () => {
    const keys = new TicketKeys(ring.list());
    const { context, native } = fakeContext(true);
    expect(keys.attach(context)).toBe(true);
    expect(native.enabled).toBe(true);
    const callback = native.onticketkeycallback as Callback;
    const iv = Buffer.alloc(16);
    const sealed = callback(Buffer.alloc(16), iv, true);
    expect(sealed[0]).toBe(1);
    expect(sealed[3]).toEqual(current.subarray(0, 16));
    expect(sealed[2]).toEqual(current.subarray(32));
    // A fresh 16-byte IV per sealed ticket (from a pool): never the same one twice, past a refill.
    const ivs = Array.from({ length: 600 }, () =>
      (callback(Buffer.alloc(16), iv, true)[4] as Buffer).toString('hex'),
    );
    expect(ivs.every((hex) => hex.length === 32)).toBe(true);
    expect(new Set(ivs).size).toBe(ivs.length);
    expect(callback(current.subarray(0, 16), iv, false)[0]).toBe(1);
    expect(callback(previous.subarray(0, 16), iv, false)[0]).toBe(2);
    expect(callback(next.subarray(0, 16), iv, false)[0]).toBe(2);
    const unknown = callback(Buffer.alloc(16, 7), iv, false);
    expect(unknown[0]).toBe(0);
    // Node reads a 16-byte AES key even for a refusal.
    expect((unknown[2] as Buffer).length).toBe(16);
  });

  it('without the hook, sets the current key as the context’s only one (and says so)', () => {
    const keys = new TicketKeys(ring.list());
    const { context, native } = fakeContext(false);
    expect(keys.attach(context)).toBe(false);
    expect(native.single).toEqual(current);
  });

  it('refuses a ring that is not three 48-byte keys', () => {
    expect(() => new TicketKeys(ring.list().slice(1))).toThrow(/3 keys of 48 bytes/);
  });
});

describe('failureKind', () => {
  it.each([
    ['ERR_SSL_HTTP_REQUEST', undefined, 'protocol'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', undefined, 'protocol'],
    ['ERR_SSL_NO_APPLICATION_PROTOCOL', undefined, 'protocol'],
    ['ERR_SSL_NO_SHARED_CIPHER', undefined, 'protocol'],
    ['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', undefined, 'certificate'],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', undefined, 'certificate'],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', undefined, 'certificate'],
    ['ECONNRESET', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'certificate'],
    ['ECONNRESET', undefined, 'closed'],
    ['ERR_TLS_HANDSHAKE_TIMEOUT', undefined, 'timeout'],
    [undefined, undefined, 'protocol'],
  ])('%s (%s) is %s', (code, authorizationError, kind) => {
    expect(failureKind(code, authorizationError)).toBe(kind);
  });
});

describe('classifyFirstBytes', () => {
  /** A handshake record of `length` body bytes (the body's content is node:tls's business). */
  const record = (length: number): Buffer =>
    Buffer.concat([Buffer.from([22, 3, 1, length >> 8, length & 0xff]), Buffer.alloc(length, 0x42)]);

  it.each([1, 300, 1800, MAX_RECORD_BYTES])(
    'a %d-byte record: wait at every prefix, TLS once whole',
    (length) => {
      const bytes = record(length);
      for (let n = 0; n < bytes.length; n++)
        expect(classifyFirstBytes(bytes.subarray(0, n)), `${n}`).toBe(FirstBytes.WAIT);
      expect(classifyFirstBytes(bytes)).toBe(FirstBytes.TLS);
      // What follows the first record (the rest of a long ClientHello) does not change the verdict.
      expect(classifyFirstBytes(Buffer.concat([bytes, record(7)]))).toBe(FirstBytes.TLS);
    },
  );

  it('a request line: wait while the method may go on, HTTP at its space', () => {
    const line = Buffer.from('OPTIONS * HTTP/1.1\r\n');
    const space = line.indexOf(0x20);
    for (let n = 0; n <= space; n++)
      expect(classifyFirstBytes(line.subarray(0, n)), `${n}`).toBe(FirstBytes.WAIT);
    for (let n = space + 1; n <= line.length; n++)
      expect(classifyFirstBytes(line.subarray(0, n))).toBe(FirstBytes.HTTP);
  });

  it.each([
    ['an alert record', '1503030002'],
    ['an SSLv2-format hello', '8001010300'],
    ['a version 2.x record', '16020100'],
    ['a record longer than 2^14', '1603034001'],
    ['an empty record', '1603030000'],
    ['a NUL', '00'],
    ['a lower-case method', Buffer.from('get ').toString('hex')],
    ['a method with a digit', Buffer.from('GET1 ').toString('hex')],
    ['a method without a space within 16 letters', Buffer.from('A'.repeat(17)).toString('hex')],
  ])('%s is garbage', (_name, hex) => {
    expect(classifyFirstBytes(Buffer.from(hex, 'hex'))).toBe(FirstBytes.GARBAGE);
  });

  it('garbage is told as early as the first byte that cannot start a record or a method', () => {
    expect(classifyFirstBytes(Buffer.from([0x16, 0x02]))).toBe(FirstBytes.GARBAGE);
    expect(classifyFirstBytes(Buffer.from([0x16, 0x03]))).toBe(FirstBytes.WAIT);
    expect(classifyFirstBytes(Buffer.from('A'.repeat(16)))).toBe(FirstBytes.WAIT);
  });
});
