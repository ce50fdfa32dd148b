/**
 * What the log can be set to, each declared once: pino's levels, the access-log modes, and what
 * the line sink does when stdout's reader stalls. The configuration's schema takes `log.level`,
 * `log.access` and `log.onStall`'s allowed values from here; the logger, the access log, the
 * line sink and the cluster take their types from here.
 * Must not: import anything (src/config reads this file without loading pino).
 */

/** pino's levels, most to least severe, and `silent` (writes nothing). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The access log: a line for every request, none, or one in `log.accessSampleEvery`. */
export const AccessMode = { ON: 'on', OFF: 'off', SAMPLED: 'sampled' } as const;
export type AccessMode = (typeof AccessMode)[keyof typeof AccessMode];

/** What a full buffer does with the next line: drop it (and count), or wait for the reader. */
export const OnStall = { DROP: 'drop', BLOCK: 'block' } as const;
export type OnStall = (typeof OnStall)[keyof typeof OnStall];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
