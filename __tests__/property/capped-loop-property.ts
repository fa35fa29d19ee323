import { describe, expect, it } from '@jest/globals';
import { runCases } from '../../test/fuzz/capped-loop-fuzz.js';

/**
 * Seeds that once sat closest to an edge in the full 1,000-run sweep: the smallest margins under the budget and
 * under the cost cap, runs whose first request could not be afforded, closing turns skipped for lack of room, and
 * the longest runs, one per model family. They run on every `npm test`.
 */
export const PINNED_SEEDS = [982, 895, 855, 126, 918, 704, 434, 929, 4, 9, 168, 629, 314, 472, 717];

/** Seeds per file on a fast run (`npm test`); `TASKCAP_SEEDS=full` runs every seed of the range (the complete suite). */
const FAST_SEEDS_PER_FILE = 15;

/** The seeds of [from, to] this run covers: all of them, or an even spread plus the pinned ones in the range. */
export function seedsFor(from: number, to: number, full = process.env.TASKCAP_SEEDS === 'full'): number[] {
  const all = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  if (full) return all;
  const step = all.length / FAST_SEEDS_PER_FILE;
  const spread = Array.from({ length: FAST_SEEDS_PER_FILE }, (_, i) => all[Math.floor(i * step)]);
  return [...new Set([...spread, ...PINNED_SEEDS.filter((s) => s >= from && s <= to)])].sort((a, b) => a - b);
}

/**
 * The randomized property over seeds [from, to]. The 1,000 runs are split over four test files so jest runs them
 * in parallel; each file is one call of this.
 */
export function cappedLoopProperty(from: number, to: number): void {
  const full = process.env.TASKCAP_SEEDS === 'full';
  const seeds = seedsFor(from, to, full);
  describe(`capped loop, randomized (${seeds.length} seeds of ${from}–${to})`, () => {
    it('never crosses the budget or the cost cap, and its figures equal what the API billed', async () => {
      const results = await runCases(seeds);
      expect(results.filter((r) => r.overshoot > 0).map((r) => r.seed)).toEqual([]);
      expect(results.filter((r) => r.costOvershoot > 0).map((r) => r.seed)).toEqual([]);
      expect(results.filter((r) => r.figuresMatch !== true).map((r) => `${r.seed}: ${r.figuresMatch}`)).toEqual([]);
      // A run that hit a limit after doing work ends in a closing turn (sent, or skipped when too little was left);
      // a run whose first request could not be afforded (a tiny max-cost-usd) sends nothing at all.
      const capped = results.filter((r) => r.endReason === 'budget' || r.endReason === 'cost');
      expect(capped.length).toBeGreaterThan(results.length / 5);
      expect(capped.filter((r) => r.requests > 0 && r.closingTurn === 'none').map((r) => r.seed)).toEqual([]);
      expect(capped.filter((r) => r.requests === 0 && r.loopTokens + r.costUsd > 0).map((r) => r.seed)).toEqual([]);
      // Nothing in these runs fails or stalls: an API error or a timeout is a bug in the loop or the harness. Token
      // counting that fails or is slow only falls back to the byte bound.
      expect(results.filter((r) => r.endReason === 'api-error' || r.endReason === 'timeout').map((r) => `${r.seed}: ${r.endReason}`)).toEqual([]);
      // The runs cover what the caps must survive: every way counting can go, evicted cache entries, a context block.
      if (full) {
        expect(new Set(results.map((r) => r.counting))).toEqual(new Set(['exact', 'absent', 'failing', 'slow']));
        expect(results.some((r) => r.evictions > 0 && (r.endReason === 'budget' || r.endReason === 'cost'))).toBe(true);
        expect(results.some((r) => r.withContext)).toBe(true);
        // Capped runs end with Claude's own summary, its closing turn thinking or not, the cache missing or not.
        const withWork = capped.filter((r) => r.requests > 0);
        expect(withWork.filter((r) => r.closingTurn === 'sent' && r.hasSummary).length / withWork.length).toBeGreaterThanOrEqual(0.95);
      }
    }, 600_000);
  });
}
