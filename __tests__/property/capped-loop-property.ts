import { describe, expect, it } from '@jest/globals';
import { runSeeds } from '../../test/fuzz/capped-loop-fuzz.js';

/**
 * The randomized property over seeds [from, to]. The 1,000 runs are split over four test files so jest runs them
 * in parallel; each file is one call of this.
 */
export function cappedLoopProperty(from: number, to: number): void {
  describe(`capped loop, randomized (seeds ${from}–${to})`, () => {
    it('never crosses the budget or the cost cap, and its figures equal what the API billed', async () => {
      const results = await runSeeds(from, to);
      expect(results.filter((r) => r.overshoot > 0).map((r) => r.seed)).toEqual([]);
      expect(results.filter((r) => r.costOvershoot > 0).map((r) => r.seed)).toEqual([]);
      expect(results.filter((r) => r.figuresMatch !== true).map((r) => `${r.seed}: ${r.figuresMatch}`)).toEqual([]);
      // A run that hit a limit after doing work ends in a closing turn (sent, or skipped when too little was left);
      // a run whose first request could not be afforded (a tiny max-cost-usd) sends nothing at all.
      const capped = results.filter((r) => r.endReason === 'budget' || r.endReason === 'cost');
      expect(capped.length).toBeGreaterThan(50);
      expect(capped.filter((r) => r.requests > 0 && r.closingTurn === 'none').map((r) => r.seed)).toEqual([]);
      expect(capped.filter((r) => r.requests === 0 && r.loopTokens + r.costUsd > 0).map((r) => r.seed)).toEqual([]);
      expect(results.filter((r) => r.endReason === 'api-error').map((r) => r.seed)).toEqual([]);
    }, 600_000);
  });
}
