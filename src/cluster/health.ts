/**
 * The cluster's health as `/readyz` reports it, computed by the primary from its slots and sent
 * to every worker when it changes (workers answer `/readyz` on the main port, the primary on the
 * metrics port, both through `readiness` so they always agree):
 *   - `stopping`: shutting down (503);
 *   - `unready`: fewer ready workers than `cluster.minWorkers`, or none (503);
 *   - `degraded`: serving, but short of `workers` or with a crash-looping slot (200);
 *   - `ok` (200).
 * `/healthz` is liveness: 200 whenever the process can answer at all, draining included (a
 * draining worker is alive; restarting it would only cut its in-flight requests).
 * Must not: send anything or read configuration beyond what it is given.
 */

import { Health, message } from './messages.ts';
import type { HealthMessage } from './messages.ts';
import type { Slot } from './slots.ts';
import { WorkerState } from './slots.ts';

export interface HealthInput {
  readonly slots: readonly Slot[];
  readonly wanted: number;
  readonly minWorkers: number;
  readonly stopping: boolean;
}

/** Slots within the wanted count whose worker is serving. */
export function readyWorkers(slots: readonly Slot[], wanted: number): number {
  let ready = 0;
  for (const slot of slots) if (slot.index < wanted && slot.current?.state === WorkerState.READY) ready++;
  return ready;
}

export function clusterHealth(input: HealthInput): HealthMessage {
  const ready = readyWorkers(input.slots, input.wanted);
  let health: Health = Health.OK;
  if (input.stopping) health = Health.STOPPING;
  else if (ready === 0 || ready < Math.min(input.minWorkers, input.wanted)) health = Health.UNREADY;
  else if (ready < input.wanted || input.slots.some((s) => s.crashLooping)) health = Health.DEGRADED;
  return message('health', { health, readyWorkers: ready, wantedWorkers: input.wanted });
}

/** `/readyz`'s answer: 200 or 503, and the health message's counts under `status`. */
export interface Readiness {
  readonly ok: boolean;
  readonly body: { readonly status: Health } & Pick<HealthMessage, 'readyWorkers' | 'wantedWorkers'>;
}

/**
 * 200 when the cluster is ok or degraded above its minimum; 503 while stopping (or this
 * process drains), or below it. `h` null: no health received yet (unready).
 */
export function readiness(h: HealthMessage | null, draining: boolean): Readiness {
  const status = draining ? Health.STOPPING : (h?.health ?? Health.UNREADY);
  const ok = status === Health.OK || status === Health.DEGRADED;
  return { ok, body: { status, readyWorkers: h?.readyWorkers ?? 0, wantedWorkers: h?.wantedWorkers ?? 0 } };
}
