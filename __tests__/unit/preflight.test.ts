import { describe, expect, it } from '@jest/globals';
import { Meter } from '../../src/budget/meter.js';
import {
  closingReserve,
  CLOSING_EXTRA_TOKENS,
  CLOSING_RESULT_BYTES,
  closingOutputReserve,
  estimateTokens,
  MIN_COST_BOUND_OUTPUT,
  MIN_USEFUL_OUTPUT,
  planRequest,
  smallestStartingCap,
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
    const plan = planRequest(m, l, { newTokens: 2_000, prompt: 20_000 }, 'working');
    expect(plan).toEqual({ send: true, maxTokens: 50_000 - l.reserve - 10_000 - 2_000, limit: 'budget' });
  });

  it('refuses a working request that could not write a useful amount, but lets the closing turn use the reserve', () => {
    const m = new Meter(opus.pricing);
    const l = limits(20_000);
    m.record({ input_tokens: 3000, output_tokens: 20_000 - l.reserve - 500 });
    expect(planRequest(m, l, { newTokens: 100, prompt: 30_000 }, 'working')).toEqual({ send: false, limit: 'budget' });
    const closing = planRequest(m, l, { newTokens: 100, prompt: 30_000 }, 'closing');
    expect(closing.send).toBe(true);
    if (closing.send) expect(m.loopTokens + 100 + closing.maxTokens).toBeLessThanOrEqual(20_000);
  });

  it('prices the whole prompt as a 5-minute cache write (the TTL taskcap asks for), never at the 1-hour rate', () => {
    const m = new Meter(opus.pricing);
    // A closing turn has no closing turn to keep paid for: the prompt as a miss, the rest buys output.
    const closing = planRequest(m, limits(200_000, 0.5), { newTokens: 1000, prompt: 40_000 }, 'closing');
    // 40k at $6.25/MTok = $0.25; $0.25 left buys 10,000 output tokens at $25/MTok, above the closing cap.
    expect(closing).toEqual({ send: true, maxTokens: 4096, limit: 'budget' });
    const tight = planRequest(m, limits(200_000, 0.3), { newTokens: 1000, prompt: 40_000 }, 'closing');
    expect(tight).toEqual({ send: true, maxTokens: Math.floor(((0.3 - 0.25) * 1e6) / 25), limit: 'cost' });
  });

  it('keeps the closing turn after a working request paid for: its prompt as a miss plus room for a summary', () => {
    const m = new Meter(opus.pricing);
    // Request 2 of a run whose request 1 wrote 20k to the cache and wrote 1k: the next prompt is 22k.
    m.record({ input_tokens: 3, cache_creation_input_tokens: 19_997, output_tokens: 1_000 });
    const cap = 0.5;
    const plan = planRequest(m, limits(200_000, cap), { newTokens: 1_000, prompt: 22_000 }, 'working');
    expect(plan.send && plan.limit).toBe('cost');
    if (!plan.send) return;
    const M = plan.maxTokens;
    const left = cap - m.costUsd;
    // The request as expected (20k read, 2k written) + M output, then the closing turn's whole prompt as a miss.
    const expected = (20_000 * 0.5 + 2_000 * 6.25 + M * 25) / 1e6;
    // 2% of $0.50 buys 400 output tokens for the summary.
    const closing = ((22_000 + M + CLOSING_EXTRA_TOKENS) * 6.25 + 400 * 25) / 1e6;
    expect(expected + closing).toBeLessThanOrEqual(left);
    expect(expected + closing + (25 + 6.25) / 1e6).toBeGreaterThan(left);
    // And the request alone, all of it a cache miss, stays under the cap.
    expect((22_000 * 6.25 + M * 25) / 1e6).toBeLessThanOrEqual(left);
  });

  it('lets a cost-bound working request go with a few hundred tokens of room, not a budget-bound one', () => {
    const m = new Meter(opus.pricing);
    const small = planRequest(m, limits(200_000, 0.05), { newTokens: 0, prompt: 2_000 }, 'working');
    expect(small.send && small.limit === 'cost' && small.maxTokens >= MIN_COST_BOUND_OUTPUT && small.maxTokens < MIN_USEFUL_OUTPUT).toBe(true);
  });

  it('keeps 2% of the cap for the closing summary, between 256 and 1,024 output tokens', () => {
    expect(closingOutputReserve(0.05, 25)).toBe(256);
    expect(closingOutputReserve(0.5, 25)).toBe(400);
    expect(closingOutputReserve(2, 25)).toBe(1024);
  });

  it('names the smallest max-cost-usd that lets a first request start, and that cap does', () => {
    const l = limits(200_000, undefined);
    const cap = smallestStartingCap(l, 2_500);
    expect(planRequest(new Meter(opus.pricing), { ...l, maxCostUsd: cap }, { newTokens: 0, prompt: 2_500 }, 'working').send).toBe(true);
    expect(planRequest(new Meter(opus.pricing), { ...l, maxCostUsd: cap - 0.01 }, { newTokens: 0, prompt: 2_500 }, 'working').send).toBe(false);
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
    const plan = planRequest(m, l, { newTokens: estimateTokens(['x'.repeat(tight.bytes), 'y'.repeat(tight.bytes), 'z'.repeat(160)]), prompt: 60_000 }, 'working');
    expect(plan.send && plan.maxTokens >= MIN_USEFUL_OUTPUT).toBe(true);
    // No working request can follow: the calls still run, their results cut for the closing turn to read.
    m.record({ input_tokens: 0, cache_read_input_tokens: 44_000, output_tokens: 5_000 });
    const forClosing = toolResultAllowance(m, l, 2, 10_000);
    expect(forClosing.bytes).toBeGreaterThan(0);
    expect(forClosing.bytes).toBeLessThanOrEqual(CLOSING_RESULT_BYTES);
    expect(planRequest(m, l, { newTokens: estimateTokens(['x'.repeat(forClosing.bytes), 'y'.repeat(forClosing.bytes), 'z'.repeat(400)]), prompt: 60_000 }, 'working').send).toBe(false);
    const closing = planRequest(m, l, { newTokens: estimateTokens(['x'.repeat(forClosing.bytes), 'y'.repeat(forClosing.bytes), 'z'.repeat(400)]), prompt: 60_000 }, 'closing');
    expect(closing.send && closing.maxTokens >= 1_024).toBe(true);
    // Not even that: the calls are not run.
    m.record({ input_tokens: 0, cache_read_input_tokens: 49_000, output_tokens: 1_000 });
    expect(toolResultAllowance(m, l, 2, 10_000).bytes).toBe(0);
  });

  it('keeps a closing reserve of a few percent and never less than 1,500 tokens', () => {
    expect(closingReserve(20_000)).toBe(1500);
    expect(closingReserve(200_000)).toBe(6000);
  });
});
