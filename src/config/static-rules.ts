/**
 * The text form of `static.cacheControl`: `Cache-Control` values per path pattern, written as one
 * string so that it works the same in the config file, the environment and a flag:
 *
 *     *.html no-cache; /assets/** public, max-age=31536000, immutable; * public, max-age=300
 *
 * Rules are separated by `;`, each is `PATTERN VALUE` (the first run of spaces splits them), the
 * first rule whose pattern matches wins, and no match means no `Cache-Control` field. A pattern
 * with a `/` matches the whole path below the mount (it starts with `/`); one without matches the
 * last segment only, as in `.gitignore`. `*` is any run of characters but `/`, `**` any run at all,
 * `?` one character but `/`. A value is a list of cache directives (RFC 9111 §5.2):
 * `token[=token|"quoted"]` separated by commas; it may not hold `;`.
 * Must not: compile patterns (the static handler does) or know about requests.
 */

/**
 * One `Cache-Control` rule: the first whose `pattern` matches the path below the mount wins.
 * Parsed here, served by the static handler (its options take this type). `value` is normalised
 * to `a, b=1` spacing.
 */
export interface CacheControlRule {
  readonly pattern: string;
  readonly value: string;
}

/** RFC 9110 §5.6.2 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 9110 §5.6.4 quoted-string, without `;` (it separates rules) or obs-text. */
const QUOTED = /^"(?:[\t !#-:<-[\]-~]|\\[\t -~])*"$/;
/** Visible ASCII except `;` and whitespace: what a URL path (and `*`, `?`) is made of. */
const PATTERN = /^[!-:<-~]+$/;
const MAX_RULES = 64;

/** Parses the text form; a string result is the reason it is not valid. */
export function parseCacheControlRules(text: string): CacheControlRule[] | string {
  const rules: CacheControlRule[] = [];
  const parts = text.split(';').map((part) => part.trim());
  if (parts.length === 1 && parts[0] === '') return rules;
  if (parts.length > MAX_RULES) return `at most ${MAX_RULES} rules`;
  for (const part of parts) {
    const rule = parseRule(part);
    if (typeof rule === 'string') return rule;
    rules.push(rule);
  }
  return rules;
}

function parseRule(part: string): CacheControlRule | string {
  const space = part.search(/\s/);
  if (part === '' || space < 0) return `rule ${JSON.stringify(part)} needs a pattern, a space and a value`;
  const pattern = part.slice(0, space);
  if (!PATTERN.test(pattern)) return `pattern ${JSON.stringify(pattern)} holds a character a path cannot`;
  if (pattern.includes('/') && !pattern.startsWith('/')) {
    return `pattern ${JSON.stringify(pattern)} has a '/', so it must start with '/'`;
  }
  const directives = part
    .slice(space)
    .split(',')
    .map((d) => d.trim());
  for (const d of directives) {
    if (!isDirective(d)) return `${JSON.stringify(d)} is not a cache directive (token[=value])`;
  }
  return { pattern, value: directives.join(', ') };
}

function isDirective(text: string): boolean {
  const eq = text.indexOf('=');
  if (eq < 0) return TOKEN.test(text);
  const arg = text.slice(eq + 1);
  return TOKEN.test(text.slice(0, eq)) && (TOKEN.test(arg) || QUOTED.test(arg));
}
