import type { PriceTier } from '../config/models.js';
import type { Meter } from './meter.js';
import { pricesFor } from './usage.js';

/** Limits one run is held to. */
export interface CapLimits {
  /** Loop-token budget (the class budget). */
  budget: number;
  /** Loop tokens kept back during normal work so a closing turn can always run. */
  reserve: number;
  maxCostUsd?: number;
  pricing: PriceTier;
  /** The model's own output ceiling. */
  maxOutputTokens: number;
}

/** A working request that cannot write at least this much is not worth sending: stop and close instead. */
export const MIN_USEFUL_OUTPUT = 1024;
/** A closing summary needs at least this much room, else taskcap writes the summary itself. */
export const MIN_CLOSING_OUTPUT = 256;
/** The closing turn is a summary, not more work. */
export const CLOSING_OUTPUT_CAP = 2048;
/** Tool results are never smaller than this; below it a round of tools is not worth running. */
export const MIN_TOOL_RESULT_BYTES = 384;
/** Room kept for a wind-down note appended to a tool-result message. */
export const NOTE_ALLOWANCE = 160;
/** Framing tokens per content block and per request, on top of the content itself. */
const BLOCK_FRAMING = 16;
const REQUEST_FRAMING = 64;

/** Share of `max-cost-usd` kept back during work so the closing summary can usually be afforded. */
const CLOSING_COST_SHARE = 0.05;

/** The closing slice of a budget: a few percent, never less than ~1,500 tokens. */
export function closingReserve(budget: number): number {
  return Math.max(1500, Math.ceil(budget * 0.03));
}

/**
 * A conservative token count for text about to be sent. Byte-level tokenizers never produce more tokens than
 * UTF-8 bytes, so bytes are an upper bound whatever the content (code, CJK, base64): the cap stays hard.
 */
export function estimateTokens(texts: readonly string[]): number {
  let total = REQUEST_FRAMING;
  for (const t of texts) total += Buffer.byteLength(t, 'utf8') + BLOCK_FRAMING;
  return total;
}

export type Phase = 'working' | 'closing';
/** `limit` names the cap that bounds `max_tokens` (or that stopped the request). */
export type Plan = { send: true; maxTokens: number; limit: 'budget' | 'cost' } | { send: false; limit: 'budget' | 'cost' };

const inputRateCeiling = (tier: PriceTier, prompt: number): number => {
  const pr = pricesFor(tier, prompt);
  // Any input token may be billed uncached or as a cache write (the dearest, 1-hour, counted too).
  return Math.max(pr.input, pr.cacheWrite5m, pr.cacheWrite1h);
};

/**
 * Decide whether the next request may be sent and with which `max_tokens`, so that neither the loop-token
 * budget nor `max-cost-usd` can be crossed by it whatever the model does.
 * @param newTokens conservative estimate of the content new to the model in this request
 * @param promptUpper upper bound of the whole prompt of this request (for the input side of the cost)
 */
export function planRequest(meter: Meter, limits: CapLimits, newTokens: number, promptUpper: number, phase: Phase): Plan {
  const working = phase === 'working';
  const tokenRoom = limits.budget - (working ? limits.reserve : 0) - meter.committedTokens - newTokens;
  let maxTokens = Math.min(limits.maxOutputTokens, tokenRoom);
  let limit: 'budget' | 'cost' = 'budget';
  if (limits.maxCostUsd !== undefined) {
    const costReserve = working ? limits.maxCostUsd * CLOSING_COST_SHARE : 0;
    const inputCost = (promptUpper * inputRateCeiling(limits.pricing, promptUpper)) / 1e6;
    const costRoom = limits.maxCostUsd - costReserve - meter.committedUsd - inputCost;
    // Output is priced at the tier the prompt falls in; the prompt bound decides the tier, output does not.
    const outputRate = pricesFor(limits.pricing, promptUpper).output;
    const affordable = Math.floor((costRoom * 1e6) / outputRate);
    if (affordable < maxTokens) {
      maxTokens = affordable;
      limit = 'cost';
    }
  }
  if (!working) maxTokens = Math.min(maxTokens, CLOSING_OUTPUT_CAP);
  const minimum = working ? MIN_USEFUL_OUTPUT : MIN_CLOSING_OUTPUT;
  return maxTokens >= minimum ? { send: true, maxTokens, limit } : { send: false, limit };
}

/**
 * Bytes each of `calls` tool results may take so that the request carrying them can still be sent with
 * MIN_USEFUL_OUTPUT of room. Results shrink as the budget drains instead of the run stopping early;
 * 0 bytes means a round of tools can no longer be afforded (and `limit` says which cap binds).
 */
export function toolResultAllowance(
  meter: Meter,
  limits: CapLimits,
  calls: number,
  defaultCap: number,
): { bytes: number; limit: 'budget' | 'cost' } {
  const fixed = REQUEST_FRAMING + NOTE_ALLOWANCE + BLOCK_FRAMING * (calls + 1);
  const tokenRoom = limits.budget - limits.reserve - meter.committedTokens - MIN_USEFUL_OUTPUT - fixed;
  let room = tokenRoom;
  let limit: 'budget' | 'cost' = 'budget';
  if (limits.maxCostUsd !== undefined) {
    const prompt = meter.contextTokens + fixed;
    const ceiling = prompt + Math.max(0, tokenRoom);
    const inRate = inputRateCeiling(limits.pricing, ceiling);
    const outRate = pricesFor(limits.pricing, ceiling).output;
    const costRoom =
      limits.maxCostUsd * (1 - CLOSING_COST_SHARE) - meter.committedUsd - (prompt * inRate) / 1e6 - (MIN_USEFUL_OUTPUT * outRate) / 1e6;
    const affordable = Math.floor((costRoom * 1e6) / inRate);
    if (affordable < room) {
      room = affordable;
      limit = 'cost';
    }
  }
  const perCall = Math.floor(room / Math.max(1, calls));
  const bytes = Math.min(defaultCap, perCall);
  return { bytes: bytes >= MIN_TOOL_RESULT_BYTES ? bytes : 0, limit };
}
