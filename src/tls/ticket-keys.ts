/**
 * Session-ticket keys (RFC 5077 §4; TLS 1.3 tickets, RFC 8446 §4.6.1, are sealed the same way).
 * The primary owns one ring of three 48-byte keys, `[next, current, previous]` (16 bytes of name,
 * 16 of HMAC key, 16 of AES key, Node's layout), hands it to every worker, and rotates it every
 * `rotationMs`: previous ← current ← next ← fresh. A ticket is sealed with `current` and opened
 * with any of the three, so:
 *   - every worker opens every other worker's tickets, and a replacement spawned by a rolling
 *     restart opens the tickets of the generation it replaces (it is given the same ring);
 *   - a ticket made just before a rotation still opens after it (its key is then `previous`), and
 *     is renewed under the new key; a ticket lives `rotationMs` (the session timeout), so no live
 *     ticket's key is ever gone;
 *   - `next` reaches every worker a whole period before anyone seals with it, so no worker meets a
 *     ticket sealed with a key it has not been told of yet.
 * Opening with several keys needs OpenSSL's ticket-key callback. Node exposes it only on the
 * native context (`enableTicketKeyCallback`, used by its own tests, not documented); where it is
 * missing, `setTicketKeys(current)` is the fallback: resumption then works across workers and
 * restarts, but a ticket older than the last rotation is refused once (a full handshake).
 * Must not: write a key to disk or a log; generate keys in a worker (all must share the ring).
 */

import { randomBytes } from 'node:crypto';
import type { SecureContext } from 'node:tls';

export const TICKET_KEY_BYTES = 48;
const PART = 16;

/** The ring as it travels over IPC: base64 keys, `[next, current, previous]`. */
export type TicketKeyList = readonly string[];

/** The primary's side: makes and rotates the ring. */
export class TicketKeyRing {
  private keys: Buffer[];
  private readonly random: (bytes: number) => Buffer;

  constructor(random: (bytes: number) => Buffer = randomBytes) {
    this.random = random;
    this.keys = [random(TICKET_KEY_BYTES), random(TICKET_KEY_BYTES), random(TICKET_KEY_BYTES)];
  }

  /** previous ← current ← next ← a fresh key. */
  rotate(): void {
    this.keys = [this.random(TICKET_KEY_BYTES), this.keys[0] as Buffer, this.keys[1] as Buffer];
  }

  list(): TicketKeyList {
    return this.keys.map((key) => key.toString('base64'));
  }
}

/** OpenSSL's answers from the ticket-key callback (SSL_CTX_set_tlsext_ticket_key_cb(3)). */
const TICKET = { UNKNOWN: 0, OK: 1, RENEW: 2 } as const;

type TicketCallback = (name: Buffer, iv: Buffer, encrypt: boolean) => unknown[];
interface NativeContext {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: TicketCallback;
}

/** A worker's side: the ring, and the contexts that seal and open tickets with it. */
export class TicketKeys {
  private names: Buffer[] = [];
  private hmacs: Buffer[] = [];
  private aeses: Buffer[] = [];
  private readonly open: TicketCallback;

  constructor(list: TicketKeyList) {
    this.update(list);
    this.open = (name, _iv, encrypt) => this.callback(name, encrypt);
  }

  /** The ring after a rotation; contexts attached in callback mode use it from the next handshake. */
  update(list: TicketKeyList): void {
    const keys = list.map((text) => Buffer.from(text, 'base64'));
    if (keys.length !== 3 || keys.some((key) => key.length !== TICKET_KEY_BYTES))
      throw new TypeError(`ticket keys: want 3 keys of ${TICKET_KEY_BYTES} bytes`);
    this.names = keys.map((key) => key.subarray(0, PART));
    this.hmacs = keys.map((key) => key.subarray(PART, 2 * PART));
    this.aeses = keys.map((key) => key.subarray(2 * PART));
  }

  /** The key tickets are sealed with now, in Node's 48-byte layout (for `setTicketKeys`). */
  current(): Buffer {
    return Buffer.concat([this.names[1] as Buffer, this.hmacs[1] as Buffer, this.aeses[1] as Buffer]);
  }

  /**
   * Makes `context` seal with `current` and open with all three keys; returns false when this
   * Node has no callback hook, after setting `current` as the context's one key instead (the
   * caller then repeats that after each rotation).
   */
  attach(context: SecureContext): boolean {
    const native = (context as unknown as { context?: NativeContext }).context;
    if (native === undefined || typeof native.enableTicketKeyCallback !== 'function') {
      setSingleKey(context, this.current());
      return false;
    }
    native.enableTicketKeyCallback();
    native.onticketkeycallback = this.open;
    return true;
  }

  private callback(name: Buffer, encrypt: boolean): unknown[] {
    if (encrypt) {
      return [TICKET.OK, this.hmacs[1], this.aeses[1], this.names[1], nextIv()];
    }
    for (let i = 0; i < this.names.length; i++) {
      if ((this.names[i] as Buffer).equals(name))
        return [i === 1 ? TICKET.OK : TICKET.RENEW, this.hmacs[i], this.aeses[i]];
    }
    // Unknown (older than the ring, or another cluster's): a full handshake and a fresh ticket.
    // Node reads the keys even for this answer, so well-formed ones go back.
    return [TICKET.UNKNOWN, this.hmacs[1], this.aeses[1]];
  }
}

/**
 * A fresh random IV per sealed ticket, cut from a pool of CSPRNG bytes drawn 256 IVs at a time:
 * a `randomBytes(16)` per ticket (two per full TLS 1.3 handshake) cost ~10 µs of a handshake's
 * ~700 (profile of `s_time -new`). Node copies the IV into OpenSSL's context before the callback
 * returns, and no IV is handed out twice.
 */
const IV_POOL_IVS = 256;
let ivPool = Buffer.alloc(0);
let ivAt = 0;

function nextIv(): Buffer {
  if (ivAt >= ivPool.length) {
    ivPool = randomBytes(PART * IV_POOL_IVS);
    ivAt = 0;
  }
  const iv = ivPool.subarray(ivAt, ivAt + PART);
  ivAt += PART;
  return iv;
}

/** `setTicketKeys` on a bare secure context (tls.Server has its own; this is the same call). */
function setSingleKey(context: SecureContext, key: Buffer): void {
  const native = (context as unknown as { context?: { setTicketKeys?: (key: Buffer) => void } }).context;
  native?.setTicketKeys?.(key);
}
