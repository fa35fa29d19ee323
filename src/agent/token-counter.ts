import type { Plan } from '../budget/preflight.js';
import type { Log } from '../ports.js';
import { errorMessage } from '../util/errors.js';
import type { ModelCall, ModelPort } from './model.js';

/**
 * Exact prompt sizes from the API's token counting, asked only where they change a decision. Counting is free but
 * has its own rate limit and a round trip, so taskcap keeps its byte bound (never fewer bytes than tokens) while
 * that bound leaves room, and counts when the bound would bind a cap. Any failure or a slow answer falls back to the
 * byte bound for the rest of the run: the caps are hard either way.
 */

/** How long a count may take before taskcap plans with the byte bound instead. */
export const COUNT_TIMEOUT_MS = 3_000;
/** Below this much room for output, the byte bound binds and an exact count is worth a round trip. */
export const ROOMY_OUTPUT = 8_192;
/** A count can win back at most the bound's overestimate of the new content: below this, not worth asking. */
export const MIN_COUNT_SLACK = 256;

/**
 * The count is documented as an estimate of what the request will bill; planning adds this margin to it (and never
 * goes above the byte bound, which is a true upper bound).
 */
export const countMargin = (tokens: number): number => Math.ceil(tokens * 0.01) + 16;

/** Token counting as the run record keeps it. */
export interface CountStats {
  /** Count requests made (each is one free API call). */
  calls: number;
  failures: number;
  /** Why counting was switched off for the rest of the run, if it was. */
  stoppedBecause?: string;
}

/** Whether an exact count could change `plan`: it binds (refused, or little room for output) and the bound has slack. */
export function worthCounting(plan: Plan, slack: number): boolean {
  return slack >= MIN_COUNT_SLACK && (!plan.send || plan.maxTokens < ROOMY_OUTPUT);
}

export class TokenCounter {
  readonly stats: CountStats = { calls: 0, failures: 0 };

  constructor(
    private readonly model: ModelPort,
    private readonly log: Pick<Log, 'info' | 'warn' | 'debug'>,
    private readonly timeoutMs = COUNT_TIMEOUT_MS,
  ) {}

  /** The provider counts, and counting has not failed in this run. */
  get available(): boolean {
    return typeof this.model.countTokens === 'function' && this.stats.stoppedBecause === undefined;
  }

  /** The prompt tokens `call` would bill, or undefined when counting is unavailable, fails or is too slow. */
  async count(call: ModelCall, signal: AbortSignal): Promise<number | undefined> {
    if (!this.available || signal.aborted) return undefined;
    this.stats.calls++;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const tokens = await this.model.countTokens!(call, { signal: AbortSignal.any([signal, timeout]), timeoutMs: this.timeoutMs });
      if (!Number.isInteger(tokens) || tokens < 0) throw new Error(`the count was not a token count: ${JSON.stringify(tokens)}`);
      this.log.debug(`counted ${tokens} prompt tokens`);
      return tokens;
    } catch (e) {
      if (signal.aborted) return undefined;
      this.stats.failures++;
      this.stats.stoppedBecause = timeout.aborted ? `no answer within ${this.timeoutMs / 1000} s` : errorMessage(e);
      this.log.warn(`Token counting failed (${this.stats.stoppedBecause}); planning with byte bounds for the rest of the run (the caps stay hard).`);
      return undefined;
    }
  }
}
