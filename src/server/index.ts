/**
 * The public surface of Samovar's engine: `createServer(handler, options)`, the Router, the
 * request/response types and the errors a handler may throw.
 * Must not: hold logic of its own.
 */
export { createServer, Server, type DrainOptions, type DrainResult, type ListeningHandle } from './server.ts';
export { Router } from './router.ts';
export { HttpError, RequestAbortedError } from './http-error.ts';
export type {
  Handler,
  Request,
  Response,
  RequestBody,
  StreamSource,
  StreamOptions,
  BodyInit,
} from './api.ts';
export { UNMATCHED_ROUTE, ServerRequest } from './request.ts';
export { ServerResponse } from './response.ts';
export {
  DEFAULT_SERVER_OPTIONS,
  serverOptions,
  type ServerOptions,
  type ServerOptionsOverrides,
  type ErrorHook,
  type ErrorContext,
  type ProtocolErrorHook,
  type ResponseHook,
  type RequestIdSource,
  type AcceptErrorHook,
} from './options.ts';
export type { TimeoutCode } from '../http/errors.ts';
export type { OverloadOptions } from './overload.ts';
export type { RateLimitOptions } from './rate-limit.ts';
export { ConnState, CloseReason, CLOSE_REASONS, ConnectionStats } from './connection-state.ts';
