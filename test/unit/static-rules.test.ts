/**
 * Pure parts of static files: the `static.cacheControl` text form (validated at start-up), the
 * glob patterns it compiles to, and HTTP dates in all three forms (RFC 9110 §5.6.7).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { parseCacheControlRules } from '../../src/config/static-rules.ts';
import { compileCacheControl } from '../../src/server/static/cache-control.ts';
import { parseHttpDate } from '../../src/server/static/http-date.ts';

describe('static.cacheControl', () => {
  it('parses rules, normalising the value', () => {
    expect(
      parseCacheControlRules(' *.html  no-cache ;/assets/** public,max-age=31536000 , immutable'),
    ).toEqual([
      { pattern: '*.html', value: 'no-cache' },
      { pattern: '/assets/**', value: 'public, max-age=31536000, immutable' },
    ]);
    expect(parseCacheControlRules('')).toEqual([]);
    expect(parseCacheControlRules('* private="set-cookie"')).toEqual([
      { pattern: '*', value: 'private="set-cookie"' },
    ]);
  });

  it.each([
    ['*.html', /needs a pattern/],
    ['*.html no-cache;', /needs a pattern/],
    ['a/b no-cache', /must start with '\/'/],
    ['*.html no cache', /not a cache directive/],
    ['*.html max-age=', /not a cache directive/],
    ['*.html max-age="1', /not a cache directive/],
  ])('refuses %j', (text, reason) => {
    expect(parseCacheControlRules(text)).toMatch(reason);
  });

  it('is checked when the configuration loads', () => {
    const bad = loadConfig({ argv: ['--static.cache-control', '*.css max age'], env: {} });
    expect(bad.ok).toBe(false);
    const good = loadConfig({ argv: [], env: { SAMOVAR_STATIC_CACHE_CONTROL: '*.css max-age=60' } });
    expect(good.ok && good.config.static.cacheControl).toEqual([{ pattern: '*.css', value: 'max-age=60' }]);
  });

  it('matches basenames without a slash, whole paths with one; first rule wins', () => {
    const match = compileCacheControl([
      { pattern: '*.html', value: 'a' },
      { pattern: '/assets/**', value: 'b' },
      { pattern: '/img/?.png', value: 'c' },
      { pattern: '*', value: 'd' },
    ]);
    expect(match('/deep/dir/page.html')).toBe('a');
    expect(match('/assets/x/y.js')).toBe('b');
    expect(match('/assets/index.html')).toBe('a');
    expect(match('/img/a.png')).toBe('c');
    expect(match('/img/ab.png')).toBe('d');
    expect(match('/x.(js)')).toBe('d');
    expect(compileCacheControl([{ pattern: '/a.b', value: 'x' }])('/aXb')).toBeUndefined();
  });
});

describe('HTTP dates', () => {
  const t = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;
  it.each([
    ['Sun, 06 Nov 1994 08:49:37 GMT', t],
    ['Sunday, 06-Nov-94 08:49:37 GMT', t],
    ['Sun Nov  6 08:49:37 1994', t],
    ['Sun, 06 Nov 1994 08:49:37 UTC', null],
    ['Sun, 6 Nov 1994 08:49:37 GMT', null],
    ['Sun, 06 Foo 1994 08:49:37 GMT', null],
    ['Sun, 06 Nov 1994 25:49:37 GMT', null],
    ['1994-11-06T08:49:37Z', null],
    ['', null],
  ])('%j → %s', (text, seconds) => {
    expect(parseHttpDate(text, Date.UTC(2026, 0, 1))).toBe(seconds);
  });
});
