/**
 * The TLS layer's pure parts (src/tls): the ticket-key ring's rotation order, what the ticket
 * callback answers for each key (seal with `current`; open `next` and `previous` but ask for a
 * renewal; refuse an unknown one), the fallback without Node's callback hook, and the kind a
 * failed handshake is counted under.
 */
import { describe, expect, it } from 'vitest';
import { failureKind, TicketKeyRing, TicketKeys, TICKET_KEY_BYTES } from '../../src/tls/index.ts';
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
