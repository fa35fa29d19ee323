import { describe, expect, it } from '@jest/globals';
import { Meter } from '../../src/budget/meter.js';
import {
  closingReserve,
  estimateTokens,
  MIN_USEFUL_OUTPUT,
  planRequest,
  toolResultAllowance,
  type CapLimits,
} from '../../src/budget/preflight.js';
import { BUILT_IN_MODELS } from '../../src/config/models.js';

const opus = BUILT_IN_MODELS.get('claude-opus-4-7')!;
const limits = (budget: number, maxCostUsd?: number): CapLimits => ({
  budget,
  reserve: closingReserve(budget),
  maxCostUsd,
  pricing: opus.pricing,
  maxOutputTokens: opus.maxOutputTokens,
});

describe('preflight', () => {
  it('estimates at least one token per UTF-8 byte, whatever the script', () => {
    for (const text of ['hello world', '日本語のテキスト', '\u{1F600}'.repeat(10), 'x'.repeat(10_000)]) {
      expect(estimateTokens([text])).toBeGreaterThanOrEqual(Buffer.byteLength(text));
    }
  });

  it('clamps max_tokens to the budget left after the reserve and the new content', () => {
    const m = new Meter(opus.pricing);
    m.record({ input_tokens: 5000, output_tokens: 10_000 });
    const l = limits(50_000);
    const plan = planRequest(m, l, 2_000, 20_000, 'working');
    expect(plan).toEqual({ send: true, maxTokens: 50_000 - l.reserve - 10_000 - 2_000, limit: 'budget' });
  });

  it('refuses a working request that could not write a useful amount, but lets the closing turn use the reserve', () => {
    const m = new Meter(opus.pricing);
    const l = limits(20_000);
    m.record({ input_tokens: 3000, output_tokens: 20_000 - l.reserve - 500 });
    expect(planRequest(m, l, 100, 30_000, 'working')).toEqual({ send: false, limit: 'budget' });
    const closing = planRequest(m, l, 100, 30_000, 'closing');
    expect(closing.send).toBe(true);
    if (closing.send) expect(m.loopTokens + 100 + closing.maxTokens).toBeLessThanOrEqual(20_000);
  });

  it('applies max-cost-usd with the worst-case input price of the whole prompt', () => {
    const m = new Meter(opus.pricing);
    const plan = planRequest(m, limits(200_000, 0.5), 1000, 40_000, 'working');
    // 40k prompt at the dearest input rate (a 1-hour cache write, $10/MTok) = $0.40; 5% kept for closing; the rest
    // buys output at $25/MTok.
    const expected = Math.floor(((0.5 * 0.95 - 0.4) * 1e6) / 25);
    expect(plan).toEqual({ send: true, maxTokens: expected, limit: 'cost' });
  });

  it('shrinks tool results as the budget drains and returns 0 when a round of tools is no longer affordable', () => {
    const m = new Meter(opus.pricing);
    const l = limits(50_000);
    expect(toolResultAllowance(m, l, 2, 10_000).bytes).toBe(10_000);
    m.record({ input_tokens: 2000, output_tokens: 40_000 });
    const tight = toolResultAllowance(m, l, 2, 10_000);
    expect(tight.bytes).toBeGreaterThan(0);
    expect(tight.bytes).toBeLessThan(10_000);
    // A request carrying results of that size still leaves room for useful output.
    const plan = planRequest(m, l, estimateTokens(['x'.repeat(tight.bytes), 'y'.repeat(tight.bytes), 'z'.repeat(160)]), 60_000, 'working');
    expect(plan.send && plan.maxTokens >= MIN_USEFUL_OUTPUT).toBe(true);
    m.record({ input_tokens: 0, cache_read_input_tokens: 44_000, output_tokens: 5_000 });
    expect(toolResultAllowance(m, l, 2, 10_000).bytes).toBe(0);
  });

  it('keeps a closing reserve of a few percent and never less than 1,500 tokens', () => {
    expect(closingReserve(20_000)).toBe(1500);
    expect(closingReserve(200_000)).toBe(6000);
  });
});
