/**
 * Every relative link in README.md and docs/*.md points at a file that exists, and every
 * `#anchor` at a heading of that file (GitHub's slug rule: lower case, punctuation dropped,
 * spaces to `-`). The README is the front door and docs/ the manual: a moved section must not
 * leave a dead link behind.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

function slugs(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = /^#{1,6} (.*)$/.exec(line);
    if (fenced || m === null) continue;
    const text = (m[1] ?? '').replace(/`/g, '');
    out.add(
      text
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return out;
}

function links(markdown: string): string[] {
  const code = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...code.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
}

it('README and docs have no broken relative link or anchor', () => {
  const broken: string[] = [];
  for (const page of PAGES) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    for (const link of links(text)) {
      if (/^[a-z]+:/i.test(link)) continue;
      const [file = '', anchor] = link.split('#');
      const target = file === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), file);
      if (!existsSync(target)) broken.push(`${page}: ${link} (no such file)`);
      else if (
        anchor !== undefined &&
        target.endsWith('.md') &&
        !slugs(readFileSync(target, 'utf8')).has(anchor)
      )
        broken.push(`${page}: ${link} (no such heading)`);
    }
  }
  expect(broken).toEqual([]);
});
