import type { ModelFailure } from './model.js';

export interface RetryPolicy {
  maxAttempts: number;
  /** Cap on any single wait, including a server-given retry-after. */
  maxWaitMs: number;
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, maxWaitMs: 60_000, baseDelayMs: 1_000 };

export type RetryDecision = { retry: true; waitMs: number } | { retry: false };

/**
 * Whether to try a failed request again and after how long: the server's retry-after when given (capped),
 * else exponential backoff with full jitter. Fatal and aborted failures never retry.
 */
export function decideRetry(failure: ModelFailure, attempt: number, policy: RetryPolicy, random: () => number = Math.random): RetryDecision {
  if (failure.kind !== 'transient' || attempt >= policy.maxAttempts) return { retry: false };
  const given = failure.details.retryAfterMs;
  if (given !== undefined) return { retry: true, waitMs: Math.min(given, policy.maxWaitMs) };
  const ceiling = Math.min(policy.maxWaitMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return { retry: true, waitMs: Math.round(ceiling / 2 + (random() * ceiling) / 2) };
}
