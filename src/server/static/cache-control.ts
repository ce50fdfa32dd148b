/**
 * `Cache-Control` per path (RFC 9111 §5.2.2): compiles the configured rules once into a matcher.
 * A pattern with a `/` matches the whole path below the mount (`/assets/**`); one without matches
 * the last segment (`*.html`), as in `.gitignore`. `*` is any run of characters but `/`, `**` any
 * run at all, `?` one character but `/`; everything else is literal. First match wins.
 * Patterns match the decoded path of the file actually served (the index file for `/docs/`).
 * Must not: validate rule text (src/config/static-rules.ts does, at start-up).
 */

import type { CacheControlRule } from './options.ts';

interface Compiled {
  readonly regex: RegExp;
  readonly basename: boolean;
  readonly value: string;
}

export type CacheControlMatcher = (path: string) => string | undefined;

export function compileCacheControl(rules: readonly CacheControlRule[]): CacheControlMatcher {
  const compiled: Compiled[] = rules.map((rule) => ({
    regex: globToRegExp(rule.pattern),
    basename: !rule.pattern.includes('/'),
    value: rule.value,
  }));
  if (compiled.length === 0) return () => undefined;
  return (path) => {
    const base = path.slice(path.lastIndexOf('/') + 1);
    for (const rule of compiled) if (rule.regex.test(rule.basename ? base : path)) return rule.value;
    return undefined;
  };
}

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
