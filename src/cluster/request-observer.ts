/**
 * A worker's request observer: the engine's hooks wired to the worker's metrics and logs.
 *   - `onResponse` (one call per answered request): the HTTP metrics, then the access line;
 *   - `onError` (a handler's bug): one `error` line with the request id and the error;
 *   - `onProtocolError`: counted by code, and one `warn` line without a stack.
 * Built once per worker: the hooks are methods bound here, so no closure is made per request,
 * and a hook whose every consumer is off is left out, so the engine does not even call it.
 * Must not: keep requests or responses past the call, or throw.
 */

import { performance } from 'node:perf_hooks';
import type { Config } from '../config/index.ts';
import { AccessLog } from '../log/index.ts';
import type { Logger } from '../log/index.ts';
import type { HttpMetrics } from '../metrics/index.ts';
import type {
  ErrorContext,
  ErrorHook,
  ProtocolErrorHook,
  ResponseHook,
  ServerResponse,
} from '../server/index.ts';

/** The metrics and logger to report to, and the configuration's access-log settings. */
export interface ObserverOptions extends Pick<Config['log'], 'access' | 'accessSampleEvery'> {
  readonly metrics: HttpMetrics | null;
  readonly logger: Logger;
}

export class RequestObserver {
  private readonly metrics: HttpMetrics | null;
  private readonly access: AccessLog | null;
  private readonly logger: Logger;
  readonly onResponse: ResponseHook | undefined;
  readonly onError: ErrorHook;
  readonly onProtocolError: ProtocolErrorHook;
  /** `onResponse` writes every request's peer address (the access log is on or sampled). */
  readonly recordsPeer: boolean;

  constructor(options: ObserverOptions) {
    this.metrics = options.metrics;
    this.logger = options.logger;
    const { access, accessSampleEvery } = options;
    this.access = access === 'off' ? null : new AccessLog(options.logger, access, accessSampleEvery);
    this.recordsPeer = this.access !== null;
    const observing = this.metrics !== null || this.access !== null;
    this.onResponse = observing ? this.responded.bind(this) : undefined;
    this.onError = this.failed.bind(this);
    this.onProtocolError = this.refused.bind(this);
  }

  private responded(res: ServerResponse): void {
    const req = res.req;
    const now = performance.now();
    const ms = now - req.startedAt;
    const received = req.body.received;
    const metrics = this.metrics;
    if (metrics !== null) {
      metrics.observe(req.method, req.route, res.statusCode, received, res.bodyBytes, ms / 1000);
      metrics.outcome(res.outcome);
    }
    const access = this.access;
    if (access === null || !access.wanted()) return;
    access.write(req, res, received, ms, now);
  }

  private failed(error: unknown, context: ErrorContext): void {
    const { requestId, method, path } = context;
    this.logger.error(
      { event: 'handler-error', reqId: requestId, method, path, err: error },
      'handler error',
    );
  }

  private refused(code: string, remote: string, requestId: string): void {
    this.metrics?.protocolError(code);
    const reqId = requestId === '' ? undefined : requestId;
    this.logger.warn({ event: 'protocol-error', code, remote, reqId }, 'protocol error');
  }
}
