/**
 * The flags a worker is forked with (src/cluster/exec-argv.ts): the primary's own plus V8's
 * semi-space ceiling, unless it is 0 or the operator already gave one.
 */

import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../src/cluster/exec-argv.ts';

describe('workerExecArgv', () => {
  it("adds --max-semi-space-size after the primary's own flags", () => {
    expect(workerExecArgv(8, ['--enable-source-maps'], {})).toEqual([
      '--enable-source-maps',
      '--max-semi-space-size=8',
    ]);
  });

  it('leaves the flags alone for 0', () => {
    expect(workerExecArgv(0, ['--cpu-prof'], {})).toEqual(['--cpu-prof']);
  });

  it("lets the operator's flag win, on the command line or in NODE_OPTIONS", () => {
    expect(workerExecArgv(8, ['--max-semi-space-size=64'], {})).toEqual(['--max-semi-space-size=64']);
    expect(workerExecArgv(8, ['--max-semi-space-size', '64'], {})).toEqual(['--max-semi-space-size', '64']);
    expect(workerExecArgv(8, [], { NODE_OPTIONS: '--trace-warnings --max-semi-space-size=2' })).toEqual([]);
    expect(workerExecArgv(8, [], { NODE_OPTIONS: '--max-old-space-size=512' })).toEqual([
      '--max-semi-space-size=8',
    ]);
  });
});
