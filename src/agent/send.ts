import type { BetaMessage } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import type { Meter, MeteredRequest } from '../budget/meter.js';
import type { Phase, Plan } from '../budget/preflight.js';
import { pricesFor, type TokenCounts } from '../budget/usage.js';
import type { PriceTier } from '../config/models.js';
import type { Clock, Log } from '../ports.js';
import { formatInt, formatUsd } from '../util/format.js';
import { ModelFailure, type ModelCall, type ModelPort } from './model.js';
import { decideRetry, type RetryPolicy } from './retry.js';

/** One attempt at one model request, as the receipt and the run record show it. */
export interface RequestRecord {
  index: number;
  attempt: number;
  phase: Phase;
  requestId?: string;
  maxTokens: number;
  stopReason: string | null;
  counts?: TokenCounts;
  loopDelta: number;
  loopAfter: number;
  costUsd: number;
  durationMs: number;
  error?: string;
}

/** Output a broken stream may have generated beyond what reached taskcap. */
const IN_FLIGHT_TOKENS = 512;

/** How one request ended after its retries. */
export type Sent =
  | { kind: 'response'; message: BetaMessage; maxTokens: number; limit: Plan['limit'] }
  /** Not retried (fatal, out of attempts, out of time) or cut short while waiting to retry. */
  | { kind: 'failed'; failure: ModelFailure }
  /** A failed attempt spent enough that a retry no longer fits the caps. */
  | { kind: 'unaffordable'; limit: Plan['limit'] };

export interface SendPorts {
  model: ModelPort;
  meter: Meter;
  pricing: PriceTier;
  clock: Clock;
  log: Log;
  retry: RetryPolicy;
  /** Every attempt is appended here, answered or not. */
  records: RequestRecord[];
}

export interface SendRequest {
  /** 0-based request number. */
  index: number;
  phase: Phase;
  /** The first plan (already checked sendable). */
  plan: Extract<Plan, { send: true }>;
  /** Plan again after a failed attempt whose usage counts. */
  replan: () => Plan;
  call: (maxTokens: number) => ModelCall;
  signal: AbortSignal;
  timeoutMs: number;
  /** Time left for this request's retries. */
  timeLeftMs: () => number;
  budget: number;
}

/** Send one request, retrying transient failures; every attempt that reported usage is metered and recorded. */
export async function sendWithRetries(ports: SendPorts, req: SendRequest): Promise<Sent> {
  const { meter, clock, log } = ports;
  let { maxTokens, limit } = req.plan;
  for (let attempt = 1; ; attempt++) {
    const started = clock.now();
    const label = `Request ${req.index + 1}${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
    log.debug(`request ${req.index + 1} sent`);
    try {
      const response = await ports.model.send(req.call(maxTokens), { signal: req.signal, timeoutMs: req.timeoutMs });
      const metered = meter.record(response.message.usage);
      record(ports, req, { attempt, maxTokens, started, metered, requestId: response.requestId, stopReason: response.message.stop_reason });
      const c = metered.counts;
      log.info(
        `${label}: ${formatInt(c.input)} in, ${formatInt(c.cacheRead)} cache read, ${formatInt(c.cacheWrite5m + c.cacheWrite1h)} cache write, ${formatInt(c.output)} out (max ${formatInt(maxTokens)}); loop ${formatInt(meter.loopTokens)}/${formatInt(req.budget)}; ${formatUsd(meter.costUsd)}; ${response.message.stop_reason}; ${response.requestId ?? 'no request id'}`,
      );
      return { kind: 'response', message: response.message, maxTokens, limit };
    } catch (e) {
      const failure = e instanceof ModelFailure ? e : new ModelFailure(String(e), 'fatal');
      const metered = meterInterrupted(ports, failure, maxTokens, req.index);
      record(ports, req, { attempt, maxTokens, started, metered, requestId: failure.details.requestId, stopReason: null, error: failure.message });
      const decision = failure.kind === 'aborted' ? { retry: false as const } : decideRetry(failure, attempt, ports.retry);
      const id = failure.details.requestId ?? 'no request id';
      if (!decision.retry || req.timeLeftMs() - decision.waitMs <= 0) {
        log.warn(`Request ${req.index + 1} attempt ${attempt} failed: ${failure.message} (${id}); not retried.`);
        return { kind: 'failed', failure };
      }
      log.warn(`Request ${req.index + 1} attempt ${attempt} failed: ${failure.message} (${id}); retrying in ${(decision.waitMs / 1000).toFixed(1)} s.`);
      await clock.sleep(decision.waitMs, req.signal);
      if (req.signal.aborted) return { kind: 'failed', failure };
      // Usage reported by the failed attempt counts: plan again before trying again.
      const again = req.replan();
      if (!again.send) return { kind: 'unaffordable', limit: again.limit };
      ({ maxTokens, limit } = again);
    }
  }
}

/**
 * A stream that started and died before its final usage: what it wrote is counted from the bytes received (never
 * fewer tokens than bytes), plus what may have been generated but not yet delivered.
 */
function meterInterrupted(ports: SendPorts, failure: ModelFailure, maxTokens: number, index: number): MeteredRequest | undefined {
  const partial = failure.details.partialUsage;
  if (!partial) return undefined;
  const metered = ports.meter.record(partial);
  const written = Math.min(maxTokens, (failure.details.streamedBytes ?? maxTokens) + IN_FLIGHT_TOKENS);
  const unreported = Math.max(0, written - metered.counts.output);
  ports.meter.assumeUnreported(unreported, pricesFor(ports.pricing, metered.prompt).output);
  if (unreported > 0) ports.log.warn(`Request ${index + 1} was interrupted; up to ${formatInt(unreported)} output tokens it did not report are counted against the caps.`);
  return metered;
}

function record(
  ports: SendPorts,
  req: SendRequest,
  a: { attempt: number; maxTokens: number; started: number; metered?: MeteredRequest; requestId?: string; stopReason: string | null; error?: string },
): void {
  ports.records.push({
    index: req.index,
    attempt: a.attempt,
    phase: req.phase,
    requestId: a.requestId,
    maxTokens: a.maxTokens,
    stopReason: a.stopReason,
    counts: a.metered?.counts,
    loopDelta: a.metered?.loopDelta ?? 0,
    loopAfter: ports.meter.loopTokens,
    costUsd: a.metered?.costUsd ?? 0,
    durationMs: ports.clock.now() - a.started,
    ...(a.error !== undefined ? { error: a.error } : {}),
  });
}
