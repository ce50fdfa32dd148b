/**
 * Parser limits for tests that drive the parser directly: the shipped defaults (the engine's,
 * which are config/defaults.json's), with some replaced.
 */
import type { ParserLimits } from '../../src/http/request-parser.ts';
import { DEFAULT_SERVER_OPTIONS } from '../../src/server/index.ts';

export const DEFAULT_LIMITS: ParserLimits = DEFAULT_SERVER_OPTIONS.limits;

export function parserLimits(overrides: Partial<ParserLimits> = {}): ParserLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
