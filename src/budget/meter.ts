import type { PriceTier } from '../config/models.js';
import { addCounts, billedCounts, costOf, pricesFor, promptTokens, ZERO_COUNTS, type ReportedUsage, type TokenCounts } from './usage.js';

/** USD by price category (the billed table's rows). */
export interface CostByCategory {
  input: number;
  cacheWrite: number;
  cacheRead: number;
  output: number;
}

/** One metered response (or a failed attempt that had already reported usage). */
export interface MeteredRequest {
  counts: TokenCounts;
  /** T: prompt tokens the model saw (input + cache writes + cache reads). */
  prompt: number;
  /** Loop tokens this request added: its output plus the content new to the model. */
  loopDelta: number;
  costUsd: number;
}

/**
 * Two meters over the same usage stream.
 * Loop tokens mirror the API's task-budget semantics (what the model *sees*):
 *   Σ_k O_k + Σ_{k≥2} max(0, T_k − T_{k−1} − O_{k−1}),  T = input + cache_creation + cache_read.
 * Billed counts and cost sum every usage field of every response, priced per model.
 * Failed attempts that reported usage go through the same formula in order, so a retried request's re-sent
 * content is not counted twice (its T equals the failed attempt's).
 */
export class Meter {
  loopTokens = 0;
  costUsd = 0;
  billed: TokenCounts = { ...ZERO_COUNTS };
  readonly requests: MeteredRequest[] = [];
  private previous: { prompt: number; output: number; cached: number } | undefined;

  /**
   * Output an interrupted stream may have produced without reporting it (the count arrives only with the final
   * message_delta). Counted against both caps so a retry or closing turn can never be planned on money already
   * spent; kept apart from the billed figures, which are what the API reported.
   */
  unreportedTokens = 0;
  unreportedCostUsd = 0;

  /**
   * A request read less of the cache than the one before it had left there: an entry was evicted early. From then on
   * the run plans as if the cache may miss again (it keeps more for its closing turn).
   */
  missSeen = false;

  constructor(private readonly pricing: PriceTier) {}

  /** Loop tokens to plan against: reported plus possibly unreported. */
  get committedTokens(): number {
    return this.loopTokens + this.unreportedTokens;
  }

  /** Dollars to plan against: billed plus possibly unreported. */
  get committedUsd(): number {
    return this.costUsd + this.unreportedCostUsd;
  }

  /** An interrupted request could have produced up to `tokens` more output than it reported. */
  assumeUnreported(tokens: number, outputUsdPerMTok: number): void {
    if (tokens <= 0) return;
    this.unreportedTokens += tokens;
    this.unreportedCostUsd += (tokens * outputUsdPerMTok) / 1e6;
  }

  record(usage: ReportedUsage): MeteredRequest {
    const counts = billedCounts(usage);
    const topLevel = billedCounts({ ...usage, iterations: null });
    const prompt = promptTokens(topLevel);
    const output = topLevel.output;
    const fresh = this.previous ? Math.max(0, prompt - this.previous.prompt - this.previous.output) : 0;
    if (this.previous && topLevel.cacheRead < this.previous.cached) this.missSeen = true;
    const loopDelta = output + fresh;
    const costUsd = costOf(counts, this.pricing);
    this.loopTokens += loopDelta;
    this.costUsd += costUsd;
    this.billed = addCounts(this.billed, counts);
    this.previous = { prompt, output, cached: topLevel.cacheRead + topLevel.cacheWrite5m + topLevel.cacheWrite1h };
    const metered = { counts, prompt, loopDelta, costUsd };
    this.requests.push(metered);
    return metered;
  }

  /** The billed cost split by price category, each request priced at its own tier. */
  get costByCategory(): CostByCategory {
    const cost: CostByCategory = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };
    for (const r of this.requests) {
      const pr = pricesFor(this.pricing, r.prompt);
      cost.input += (r.counts.input * pr.input) / 1e6;
      cost.cacheWrite += (r.counts.cacheWrite5m * pr.cacheWrite5m + r.counts.cacheWrite1h * pr.cacheWrite1h) / 1e6;
      cost.cacheRead += (r.counts.cacheRead * pr.cacheRead) / 1e6;
      cost.output += (r.counts.output * pr.output) / 1e6;
    }
    return cost;
  }

  /** What the same requests would have cost with no prompt caching (every prompt token at the input price). */
  get uncachedCostUsd(): number {
    return this.requests.reduce((sum, r) => {
      const pr = pricesFor(this.pricing, r.prompt);
      return sum + (r.prompt * pr.input + r.counts.output * pr.output) / 1e6;
    }, 0);
  }

  /** Upper bound of what the next request re-sends before any new content: last prompt plus last output. */
  get contextTokens(): number {
    return this.previous ? this.previous.prompt + this.previous.output : 0;
  }

  /**
   * The prompt prefix the last request left in the cache (what it read or wrote): the next one expects to read it.
   * Nothing, once this run has seen the cache miss what it expected.
   */
  get cachedPrefix(): number {
    return this.missSeen ? 0 : (this.previous?.cached ?? 0);
  }
}
