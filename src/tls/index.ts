/**
 * The TLS building blocks, shared by the engine (src/server/tls-listener.ts), the configuration's
 * start-up checks (src/config/load.ts) and the primary (certificate renewal, ticket keys).
 * Must not: import any other part of Samovar: it is a leaf, like config, log and metrics.
 */

export * from './profile.ts';
export * from './material.ts';
export * from './ticket-keys.ts';
export * from './handshake-stats.ts';
export * from './first-record.ts';
