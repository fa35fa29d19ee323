import type { Prices, PriceTier } from '../config/models.js';

/** The usage object as the Messages API reports it (only the fields taskcap reads; all may be null in a stream). */
export interface ReportedUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
  iterations?: ReadonlyArray<Omit<ReportedUsage, 'iterations'> & { type?: string | null; model?: string | null }> | null;
}

/** Billed token counts, by price category. */
export interface TokenCounts {
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
  /** Share of `output` that was thinking (already included in `output`). */
  thinking: number;
}

export const ZERO_COUNTS: Readonly<TokenCounts> = Object.freeze({
  input: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  cacheRead: 0,
  output: 0,
  thinking: 0,
});

const n = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function countsOf(u: Omit<ReportedUsage, 'iterations'>): TokenCounts {
  const written = n(u.cache_creation_input_tokens);
  const split1h = n(u.cache_creation?.ephemeral_1h_input_tokens);
  // Without the 5m/1h split every write is a 5-minute write (taskcap only asks for 5-minute entries).
  const cacheWrite1h = Math.min(split1h, written);
  return {
    input: n(u.input_tokens),
    cacheWrite5m: written - cacheWrite1h,
    cacheWrite1h,
    cacheRead: n(u.cache_read_input_tokens),
    output: n(u.output_tokens),
    thinking: n(u.output_tokens_details?.thinking_tokens),
  };
}

/**
 * What one response bills. With compaction/advisor/fallback betas the top-level fields leave work out and the API
 * says to sum `usage.iterations` instead; without them the top-level fields are the bill.
 */
export function billedCounts(usage: ReportedUsage): TokenCounts {
  const iterations = usage.iterations ?? [];
  if (iterations.length === 0) return countsOf(usage);
  return iterations.map(countsOf).reduce(addCounts, { ...ZERO_COUNTS, thinking: countsOf(usage).thinking });
}

export function addCounts(a: TokenCounts, b: TokenCounts): TokenCounts {
  return {
    input: a.input + b.input,
    cacheWrite5m: a.cacheWrite5m + b.cacheWrite5m,
    cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
    cacheRead: a.cacheRead + b.cacheRead,
    output: a.output + b.output,
    thinking: a.thinking + b.thinking,
  };
}

/** Prompt size of a request as the model saw it: T = input + cache writes + cache reads. */
export function promptTokens(c: TokenCounts): number {
  return c.input + c.cacheWrite5m + c.cacheWrite1h + c.cacheRead;
}

/** The price row that applies to a request of this prompt size (Haiku 5.5 reprices long prompts entirely). */
export function pricesFor(tier: PriceTier, prompt: number): Prices {
  return tier.longContext && prompt > tier.longContext.aboveInputTokens ? tier.longContext.prices : tier.base;
}

/** USD billed for one request's counts. */
export function costOf(c: TokenCounts, tier: PriceTier): number {
  const pr = pricesFor(tier, promptTokens(c));
  return (
    (c.input * pr.input +
      c.cacheWrite5m * pr.cacheWrite5m +
      c.cacheWrite1h * pr.cacheWrite1h +
      c.cacheRead * pr.cacheRead +
      c.output * pr.output) /
    1e6
  );
}
