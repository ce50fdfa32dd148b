/**
 * An error a handler (or a body helper) throws on purpose to answer with a given status,
 * e.g. `throw new HttpError(400, 'bad id')`. The engine answers it with its status and message
 * and does not report it as a bug; anything else thrown becomes a 500 and one error report.
 * Must not: carry anything that could split a response (the message becomes a text body only).
 */
export class HttpError extends Error {
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
  constructor(message: string) {
    super(message);
    this.name = 'RequestAbortedError';
  }
}
