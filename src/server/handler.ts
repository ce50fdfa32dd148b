/**
 * The handler type and the one place a handler is called. A handler is
 * `(req, res) => void | Promise<void>`; it must answer through `res` before it returns or its
 * promise settles (a handler that forgets is a bug: 500, reported). A throw or a rejection
 * becomes one 500 (or the HttpError's status) and one report; it never reaches the process.
 * Must not: write bytes or know about sockets.
 */

import type { Handler } from './api.ts';
import type { ServerRequest } from './request.ts';
import type { ServerResponse } from './response.ts';

export type { Handler } from './api.ts';

/** Runs `handler`; its outcome goes back to `res` (async handlers cost two small closures). */
export function runHandler(handler: Handler, req: ServerRequest, res: ServerResponse): void {
  let result: void | Promise<void>;
  try {
    result = handler(req, res);
  } catch (error) {
    res.fail(error);
    return;
  }
  if (result === undefined || typeof (result as Partial<Promise<void>>).then !== 'function') {
    res.handlerDone();
    return;
  }
  void result.then(
    () => res.handlerDone(),
    (error: unknown) => res.fail(error),
  );
}
