import { describe, expect, it } from '@jest/globals';
import { Meter } from '../../src/budget/meter.js';
import { billedCounts, costOf } from '../../src/budget/usage.js';
import { BUILT_IN_MODELS } from '../../src/config/models.js';

const opus = BUILT_IN_MODELS.get('claude-opus-4-7')!.pricing;
const haiku55 = BUILT_IN_MODELS.get('claude-haiku-5-5')!.pricing;

const u = (input: number, write: number, read: number, output: number) => ({
  input_tokens: input,
  cache_creation_input_tokens: write,
  cache_read_input_tokens: read,
  output_tokens: output,
});

describe('Meter', () => {
  it('counts loop tokens with the task-budget formula: outputs plus content new to the model', () => {
    const m = new Meter(opus);
    m.record(u(3000, 0, 0, 500)); // T1 = 3000: the initial prompt is not counted
    m.record(u(100, 3400, 0, 800)); // T2 = 3500 → new = 3500 − 3000 − 500 = 0
    m.record(u(50, 1200, 3500, 200)); // T3 = 4750 → new = 4750 − 3500 − 800 = 450
    expect(m.loopTokens).toBe(500 + 800 + 0 + 200 + 450);
  });

  it('never counts negative new content (history shrank, e.g. thinking dropped)', () => {
    const m = new Meter(opus);
    m.record(u(5000, 0, 0, 4000));
    m.record(u(6000, 0, 0, 100)); // 6000 − 5000 − 4000 < 0
    expect(m.loopTokens).toBe(4100);
  });

  it('sums billed fields and prices them (Opus 4.7: $5 in, $6.25 write, $0.50 read, $25 out per MTok)', () => {
    const m = new Meter(opus);
    m.record(u(1_000_000, 0, 0, 0));
    m.record(u(0, 1_000_000, 0, 0));
    m.record(u(0, 0, 1_000_000, 0));
    m.record(u(0, 0, 0, 1_000_000));
    expect(m.costUsd).toBeCloseTo(5 + 6.25 + 0.5 + 25, 10);
    expect(m.billed).toEqual({ input: 1e6, cacheWrite5m: 1e6, cacheWrite1h: 0, cacheRead: 1e6, output: 1e6, thinking: 0 });
  });

  it('splits 5-minute and 1-hour cache writes when the API gives the split', () => {
    const counts = billedCounts({ ...u(0, 1000, 0, 0), cache_creation: { ephemeral_5m_input_tokens: 400, ephemeral_1h_input_tokens: 600 } });
    expect(counts.cacheWrite5m).toBe(400);
    expect(counts.cacheWrite1h).toBe(600);
    expect(costOf(counts, opus)).toBeCloseTo((400 * 6.25 + 600 * 10) / 1e6, 12);
  });

  it('bills usage.iterations when present (compaction work is not in the top-level fields)', () => {
    const counts = billedCounts({
      ...u(10, 0, 0, 5),
      iterations: [
        { type: 'compaction', ...u(50_000, 0, 0, 2_000) },
        { type: 'message', ...u(10, 0, 0, 5) },
      ],
    });
    expect(counts.input).toBe(50_010);
    expect(counts.output).toBe(2_005);
  });

  it('reprices a whole Haiku 5.5 request above 100k prompt tokens, output included', () => {
    expect(costOf(billedCounts(u(100_000, 0, 0, 1000)), haiku55)).toBeCloseTo((100_000 * 0.1 + 1000 * 0.5) / 1e6, 12);
    expect(costOf(billedCounts(u(100_001, 0, 0, 1000)), haiku55)).toBeCloseTo((100_001 * 0.5 + 1000 * 2.5) / 1e6, 12);
  });

  it('knows what the last request left in the cache, and stops counting on it once an entry went missing early', () => {
    const m = new Meter(opus);
    m.record(u(3, 2_000, 0, 100));
    expect(m.cachedPrefix).toBe(2_000);
    m.record(u(3, 300, 2_000, 100));
    expect(m.cachedPrefix).toBe(2_300);
    expect(m.missSeen).toBe(false);
    // The next request found nothing of the 2,300 it expected: evicted.
    m.record(u(3, 2_700, 0, 100));
    expect(m.missSeen).toBe(true);
    expect(m.cachedPrefix).toBe(0);
  });
});
