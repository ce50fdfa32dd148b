/**
 * Signals as commands. The primary's handlers only enqueue a command (gunicorn's arbiter: a
 * handler that did work would race the main loop); the loop in primary.ts dispatches them.
 * Workers ignore the signals a terminal sends to the whole process group (Ctrl-C, hang-up), so
 * that the primary alone decides how they stop.
 * Must not: do anything in a handler but enqueue.
 */

export const Command = {
  /** SIGHUP: re-read the configuration, then roll the workers. */
  RELOAD: 'reload',
  /** SIGTERM / SIGINT: readiness 503, wait `drainDelayMs`, drain everything, exit. */
  STOP: 'stop',
  /** SIGQUIT, or a second SIGTERM / SIGINT: kill the workers and exit now. */
  HALT: 'halt',
  /** SIGTTIN: one worker more. */
  SCALE_UP: 'scale-up',
  /** SIGTTOU: one worker less. */
  SCALE_DOWN: 'scale-down',
  /** SIGUSR2: the next log level of info → debug → trace → info, relayed to every worker. */
  LOG_LEVEL: 'log-level',
} as const;
export type Command = (typeof Command)[keyof typeof Command];

export const PRIMARY_SIGNALS: Readonly<Partial<Record<NodeJS.Signals, Command>>> = {
  SIGHUP: Command.RELOAD,
  SIGTERM: Command.STOP,
  SIGINT: Command.STOP,
  SIGQUIT: Command.HALT,
  SIGTTIN: Command.SCALE_UP,
  SIGTTOU: Command.SCALE_DOWN,
  SIGUSR2: Command.LOG_LEVEL,
};

/** Installs the primary's handlers; each calls `enqueue` with the signal's command. */
export function onPrimarySignals(enqueue: (command: Command, signal: NodeJS.Signals) => void): void {
  for (const [signal, command] of Object.entries(PRIMARY_SIGNALS)) {
    process.on(signal as NodeJS.Signals, () => enqueue(command, signal as NodeJS.Signals));
  }
}

/**
 * A terminal's Ctrl-C (SIGINT), Ctrl-\ (SIGQUIT) and hang-up (SIGHUP) reach every process in
 * the foreground group, workers included; SIGTTIN/SIGTTOU would stop a worker by default, and a
 * SIGUSR2 sent to the whole group would kill one. The primary answers all of them for the
 * cluster, so workers ignore them. SIGTERM sent to one
 * worker alone is honoured: `onTerm` drains that worker, and the primary replaces it.
 */
export function onWorkerSignals(onTerm: () => void): void {
  for (const signal of ['SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGTTIN', 'SIGTTOU', 'SIGUSR2'] as const) {
    process.on(signal, ignoreSignal);
  }
  process.on('SIGTERM', onTerm);
}

function ignoreSignal(): void {}
