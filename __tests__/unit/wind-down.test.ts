import { describe, expect, it } from '@jest/globals';
import { closingNote, WindDown } from '../../src/budget/wind-down.js';

describe('wind-down notes', () => {
  it('speaks once per stage, at 50%, 80% and 90% of the budget', () => {
    const w = new WindDown(100_000);
    expect(w.noteFor(40_000)).toBeUndefined();
    expect(w.noteFor(51_000)).toBe('[taskcap budget] 51,000 of 100,000 tokens used; about 49,000 left. Keep the work focused on the task.');
    expect(w.noteFor(60_000)).toBeUndefined();
    expect(w.noteFor(81_000)).toMatch(/Start wrapping up/);
    expect(w.noteFor(91_000)).toMatch(/Finish: make sure the change is complete and tests pass, then stop with a summary/);
    expect(w.noteFor(95_000)).toBeUndefined();
  });

  it('jumps to the highest stage crossed', () => {
    expect(new WindDown(100_000).noteFor(92_000)).toMatch(/^\[taskcap budget\] 92,000 .* Finish:/);
  });

  it('tells a model that works in big steps to finish before its last step', () => {
    const w = new WindDown(50_000);
    // 70% used, but the average step is 8k: only one more step fits, so finish now.
    expect(w.noteFor(35_000, 8_000)).toMatch(/Finish:/);
  });

  it('the closing note forbids tools and names the limit', () => {
    expect(closingNote('cost')).toMatch(/^\[taskcap\] The cost cap for this run is reached: no further tool calls will run\. Do not call tools, and keep any thinking brief\./);
  });
});
