/**
 * An error a handler (or a body helper) throws on purpose to answer with a given status,
 * e.g. `throw new HttpError(400, 'bad id')`. The engine answers it with its status and message
 * and does not report it as a bug; anything else thrown becomes a 500 and one error report.
 * Must not: carry anything that could split a response (the message becomes a text body only).
 */

/**
 * Both classes are recognized by a registry symbol, not only by `instanceof`: an application
 * that ends up with a second copy of Samovar (its own dependency beside the one serving it, a
 * container's linked copy) throws that copy's HttpError, which must still answer its status.
 */
const HTTP_ERROR = Symbol.for('samovar.HttpError');
const ABORTED = Symbol.for('samovar.RequestAbortedError');

export class HttpError extends Error {
  declare readonly [HTTP_ERROR]: true;
  readonly status: number;

  constructor(status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be 400-599, got ${status}`);
    }
    this.name = 'HttpError';
    this.status = status;
  }
}

/**
 * What a body read rejects with when the client went away or the connection closed before the
 * body ended. Operational, not a bug: a handler that lets it escape is not reported.
 */
export class RequestAbortedError extends Error {
  declare readonly [ABORTED]: true;
  constructor(message: string) {
    super(message);
    this.name = 'RequestAbortedError';
  }
}

Object.defineProperty(HttpError.prototype, HTTP_ERROR, { value: true });
Object.defineProperty(RequestAbortedError.prototype, ABORTED, { value: true });

/** Whether `error` is an HttpError of any copy of Samovar, with a usable status. */
export function isHttpError(error: unknown): error is HttpError {
  if (error instanceof HttpError) return true;
  if (typeof error !== 'object' || error === null || (error as Partial<HttpError>)[HTTP_ERROR] !== true)
    return false;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599;
}

/** Whether `error` is a RequestAbortedError of any copy of Samovar. */
export function isRequestAborted(error: unknown): error is RequestAbortedError {
  if (error instanceof RequestAbortedError) return true;
  return (
    typeof error === 'object' && error !== null && (error as Partial<RequestAbortedError>)[ABORTED] === true
  );
}
