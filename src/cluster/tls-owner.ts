/**
 * The primary's TLS state, the one place workers learn it from: the certificate material it read
 * and checked (at start, and again on each SIGHUP), and the session-ticket key ring it owns and
 * rotates every `tls.ticketRotationMs` (tls/ticket-keys.ts says why three keys). Workers get both
 * in their `start` message, so a replacement spawned by a rolling restart serves the same
 * certificate and opens the same tickets as the worker it replaces; changes reach the live
 * workers in one `tls` message, applied with `setSecureContext` (no restart, no dropped
 * connection).
 * Renewal: SIGHUP re-reads the configuration, whose check already refused a bad pair (the reload
 * is then invalid and the running pair stays, logged with the field and the reason); a good pair
 * that differs from the running one is pushed to every worker at once, before the roll begins.
 * Must not: write a key anywhere but to a worker's IPC channel; act outside the primary's loop.
 */

import type { Config } from '../config/index.ts';
import { loadMaterial, TicketKeyRing } from '../tls/index.ts';
import type { CertificateFacts, MaterialProblem, TicketKeyList, TlsMaterial } from '../tls/index.ts';
import type { ClusterLogger } from './lifecycle-log.ts';
import type { TlsHandoff } from './messages.ts';

export class TlsOwner {
  material: TlsMaterial;
  facts: CertificateFacts;
  private readonly ring = new TicketKeyRing();
  private rotationMs: number;
  private rotateAt: number;

  private constructor(material: TlsMaterial, facts: CertificateFacts, rotationMs: number, now: number) {
    this.material = material;
    this.facts = facts;
    this.rotationMs = rotationMs;
    this.rotateAt = now + rotationMs;
  }

  /**
   * The owner for `config`, or null when TLS is off. The configuration's own check read the same
   * files a moment ago; should they have changed since and no longer serve, the problems come back.
   */
  static create(
    config: Config,
    logger: ClusterLogger,
    now = Date.now(),
  ): TlsOwner | readonly MaterialProblem[] | null {
    const t = config.tls;
    if (t.cert === '') return null;
    const loaded = loadMaterial({ cert: t.cert, key: t.key, ca: t.ca }, process.cwd(), now);
    if (!loaded.ok) return loaded.problems;
    const owner = new TlsOwner(loaded.material, loaded.facts, t.ticketRotationMs, now);
    owner.announce(logger, 'serving certificate', loaded.warnings);
    return owner;
  }

  handoff(): TlsHandoff {
    return { material: this.material, ticketKeys: this.ring.list() };
  }

  /**
   * After a SIGHUP whose configuration was accepted: reads the files again. Returns the new
   * material when it differs from the running one (the caller tells every worker), else null.
   * Unreadable now (replaced between the check and this read): the running pair stays, logged.
   */
  reload(config: Config, logger: ClusterLogger, now = Date.now()): TlsMaterial | null {
    const t = config.tls;
    this.rotationMs = t.ticketRotationMs;
    const loaded = loadMaterial({ cert: t.cert, key: t.key, ca: t.ca }, process.cwd(), now);
    if (!loaded.ok) {
      const problems = loaded.problems.map((p) => `tls.${p.field}: ${p.problem}`).join('; ');
      logger.log(
        'error',
        'tls',
        `certificate not renewed, keeping serial ${this.facts.serial}: ${problems}`,
        {
          serial: this.facts.serial,
        },
      );
      return null;
    }
    const same =
      loaded.material.cert === this.material.cert &&
      loaded.material.key === this.material.key &&
      loaded.material.ca === this.material.ca;
    if (same) return null;
    const previous = this.facts.serial;
    this.material = loaded.material;
    this.facts = loaded.facts;
    this.announce(
      logger,
      `certificate renewed (serial ${previous} → ${loaded.facts.serial})`,
      loaded.warnings,
    );
    return loaded.material;
  }

  /** Rotates the ring when due; returns the new list to send, or null. */
  rotateIfDue(now: number): TicketKeyList | null {
    if (now < this.rotateAt) return null;
    this.ring.rotate();
    this.rotateAt = now + this.rotationMs;
    return this.ring.list();
  }

  private announce(logger: ClusterLogger, msg: string, warnings: readonly string[]): void {
    const f = this.facts;
    const fields = {
      subject: f.subject,
      issuer: f.issuer,
      serial: f.serial,
      notAfter: new Date(f.notAfter).toISOString(),
      chainLength: f.chainLength,
    };
    logger.log('info', 'tls', msg, fields);
    for (const warning of warnings) logger.log('warn', 'tls', warning, fields);
  }
}
