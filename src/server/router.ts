/**
 * Routing: static and parametric paths (`/users/:id`), method dispatch, and the answers HTTP
 * defines for what does not match: 404, 405 with `Allow` (RFC 9110 §15.5.6), automatic
 * OPTIONS (204 + `Allow`, RFC 9110 §9.3.7) and HEAD served by the GET handler (RFC 9110 §9.3.2;
 * the response writer drops the body).
 *
 * Paths are matched segment by segment in a tree with no RegExp: a static child wins over a
 * parameter at the same depth. Matching uses the raw path; parameter values are percent-decoded.
 * Must not: write bytes (handlers and Response do) or read the body.
 */

import type { Handler } from './handler.ts';
import { HttpError } from './http-error.ts';
import type { Request, Response } from './api.ts';
import { UNMATCHED_ROUTE } from './request.ts';

interface Node {
  readonly statics: Map<string, Node>;
  param: { readonly name: string; readonly node: Node } | null;
  readonly methods: Map<string, Handler>;
  /** `Allow` value for this path, rebuilt when a method is added. */
  allow: string;
  /** The path as registered (`/users/:id`): the request's route label for metrics and logs. */
  template: string;
}

function newNode(): Node {
  return { statics: new Map(), param: null, methods: new Map(), allow: '', template: UNMATCHED_ROUTE };
}

export class Router {
  private readonly root = newNode();

  get(path: string, handler: Handler): this {
    return this.on('GET', path, handler);
  }
  post(path: string, handler: Handler): this {
    return this.on('POST', path, handler);
  }
  put(path: string, handler: Handler): this {
    return this.on('PUT', path, handler);
  }
  patch(path: string, handler: Handler): this {
    return this.on('PATCH', path, handler);
  }
  delete(path: string, handler: Handler): this {
    return this.on('DELETE', path, handler);
  }

  /** Registers `handler` for `method` (case-sensitive, RFC 9110 §9.1) on `path`. */
  on(method: string, path: string, handler: Handler): this {
    if (!path.startsWith('/')) throw new TypeError(`route path must start with '/': ${path}`);
    let node = this.root;
    for (const segment of path.slice(1).split('/')) node = this.child(node, segment, path);
    if (node.methods.has(method)) throw new TypeError(`route ${method} ${path} is registered twice`);
    node.methods.set(method, handler);
    node.allow = allowOf(node.methods);
    node.template = path;
    return this;
  }

  /** The router as one handler. */
  handler(): Handler {
    return (req, res) => this.dispatch(req, res);
  }

  dispatch(req: Request, res: Response): void | Promise<void> {
    const method = req.method;
    const node = this.match(req);
    if (node === null) {
      req.route = UNMATCHED_ROUTE;
      // `OPTIONS *` asks about the server as a whole (RFC 9110 §9.3.7): it is up.
      if (method === 'OPTIONS' && req.path === '*') return void res.status(204).send();
      return void res.status(404).send('Not Found\n');
    }
    req.route = node.template;
    const handler = node.methods.get(method) ?? (method === 'HEAD' ? node.methods.get('GET') : undefined);
    if (handler !== undefined) return handler(req, res);
    if (method === 'OPTIONS') return void res.status(204).header('Allow', node.allow).send();
    res.status(405).header('Allow', node.allow).send('Method Not Allowed\n');
  }

  private child(node: Node, segment: string, path: string): Node {
    if (segment.startsWith(':')) {
      const name = segment.slice(1);
      if (name === '') throw new TypeError(`empty parameter name in route ${path}`);
      if (node.param !== null && node.param.name !== name) {
        throw new TypeError(`route ${path} names parameter :${name} where :${node.param.name} already is`);
      }
      node.param ??= { name, node: newNode() };
      return node.param.node;
    }
    let next = node.statics.get(segment);
    if (next === undefined) node.statics.set(segment, (next = newNode()));
    return next;
  }

  /** Walks the tree along `req.path`; fills `req.params` when parameters matched. */
  private match(req: Request): Node | null {
    const path = req.path;
    if (path.charCodeAt(0) !== 0x2f) return null;
    let node = this.root;
    let params: Record<string, string> | null = null;
    let start = 1;
    for (;;) {
      let end = path.indexOf('/', start);
      if (end < 0) end = path.length;
      const segment = path.slice(start, end);
      const next = node.statics.get(segment);
      if (next !== undefined) node = next;
      else if (node.param !== null && segment !== '') {
        params ??= {};
        params[node.param.name] = decodeSegment(segment);
        node = node.param.node;
      } else return null;
      if (end === path.length) break;
      start = end + 1;
    }
    if (node.methods.size === 0) return null;
    if (params !== null) req.params = params;
    return node;
  }
}

function allowOf(methods: Map<string, Handler>): string {
  const names = new Set(methods.keys());
  if (names.has('GET')) names.add('HEAD');
  names.add('OPTIONS');
  return [...names].join(', ');
}

/** Percent-decodes a parameter; a sequence that is not UTF-8 is a client error (400). */
function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'Malformed percent-encoding in path');
  }
}
