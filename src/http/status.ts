/**
 * Status code → reason phrase (RFC 9110 §15), and the status line bytes Samovar sends.
 *
 * The reason phrase is informational only (RFC 9112 §4: clients ignore it), but the line is
 * built once per code at start-up so writing a response costs a table lookup, not a string
 * concatenation. Must not: do I/O or know about connections.
 */

/** The reason phrases of RFC 9110 §15 plus 418 (RFC 2324, kept by RFC 9110 §15.5.19) and RFC 6585. */
export const STATUS_REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** The reason phrase for `status`; an empty phrase is valid HTTP (RFC 9112 §4) for unknown codes. */
export function reasonPhrase(status: number): string {
  return STATUS_REASONS[status] ?? '';
}

const STATUS_LINES: string[] = [];
for (let code = 100; code <= 999; code++) STATUS_LINES[code] = `HTTP/1.1 ${code} ${reasonPhrase(code)}\r\n`;

/**
 * `HTTP/1.1 <code> <reason>\r\n`. Samovar always answers with its own version, 1.1, even to an
 * HTTP/1.0 request (RFC 9110 §6.2); framing is then chosen for what the client understands.
 */
export function statusLine(status: number): string {
  const line = STATUS_LINES[status];
  if (line === undefined) throw new RangeError(`status must be an integer from 100 to 999, got ${status}`);
  return line;
}

/** Statuses whose response never has content (RFC 9110 §6.4.1): 1xx, 204 and 304. */
export function statusForbidsBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}
