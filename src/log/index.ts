/**
 * Samovar's logging: the pino logger (logger.ts), request ids (request-id.ts) and the access
 * log (access.ts). A leaf: imports nothing of http, server or cluster.
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
  type LogLevel,
  type LastWords,
  type WaitHook,
} from './logger.ts';
export { LineSink, MAX_BUFFERED_BYTES, OnStall, PIPE_BUF_BYTES, type LineSinkOptions } from './line-sink.ts';
export { nonBlockingStdout, StdoutKind, type LogDescriptor } from './stdout-descriptor.ts';
export { RequestIds, isSafeRequestId, bootPrefix, MAX_REQUEST_ID_LENGTH } from './request-id.ts';
export { AccessLog, AccessMode, ACCESS_EVENT, roundMs, type AccessRecord } from './access.ts';
