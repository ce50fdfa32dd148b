/**
 * Samovar's logging: what it can be set to (settings.ts), the pino logger (logger.ts), request
 * ids (request-id.ts) and the access log (access.ts). A leaf: imports nothing of http, server or cluster.
 * Must not: hold logic of its own.
 */
export {
  createLogger,
  droppedLines,
  installFatalHandlers,
  setOnStall,
  stdoutDestination,
  type Logger,
  type LoggerOptions,
  type LastWords,
  type WaitHook,
} from './logger.ts';
export { LOG_LEVELS, isLogLevel, AccessMode, OnStall, type LogLevel } from './settings.ts';
export {
  LineSink,
  MAX_BUFFERED_BYTES,
  PIPE_BUF_BYTES,
  STDOUT_FLUSH_DELAY_MS,
  type LineSinkOptions,
} from './line-sink.ts';
export { nonBlockingStdout, StdoutKind, type LogDescriptor } from './stdout-descriptor.ts';
export { RequestIds, isSafeRequestId, bootPrefix, MAX_REQUEST_ID_LENGTH } from './request-id.ts';
export {
  AccessLog,
  ACCESS_EVENT,
  roundMs,
  type AccessRequest,
  type AccessResponse,
  type AccessTls,
} from './access.ts';
