import type { PriceTier, Prices } from '../config/models.js';
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

/** A working request that cannot write at least this much under the budget is not worth sending: stop and close. */
export const MIN_USEFUL_OUTPUT = 1024;
/**
 * Under the cost cap a working request may be smaller: a tight cap's last steps (an edit, the model's own summary)
 * fit in a few hundred tokens, and a response cut short still leaves the closing turn paid for.
 */
export const MIN_COST_BOUND_OUTPUT = 256;
/** A closing summary needs at least this much room, else taskcap writes the summary itself. */
export const MIN_CLOSING_OUTPUT = 256;
/** The closing turn is a summary, not more work: brief thinking and a few paragraphs. */
export const CLOSING_OUTPUT_CAP = 4096;
/** Output the cost cap keeps for the closing turn, at most: room for a little thinking and the summary. */
export const CLOSING_OUTPUT_RESERVE = 1024;
/** Share of max-cost-usd the closing summary's output may claim, between MIN_CLOSING_OUTPUT and CLOSING_OUTPUT_RESERVE. */
const CLOSING_OUTPUT_SHARE = 0.02;

/**
 * Output kept for the closing turn under a cost cap: 2% of the cap, at least a minimal summary (256 tokens) and at
 * most CLOSING_OUTPUT_RESERVE. A $0.05 cap keeps 256 tokens ($0.0064 on Opus) so small fixes still fit; a $2 cap
 * keeps 1,024, enough for some thinking before the summary.
 */
export function closingOutputReserve(capUsd: number, outputUsdPerMTok: number): number {
  const share = Math.floor((capUsd * CLOSING_OUTPUT_SHARE * 1e6) / outputUsdPerMTok);
  return Math.max(MIN_CLOSING_OUTPUT, Math.min(CLOSING_OUTPUT_RESERVE, share));
}
/** Tokens the closing turn adds besides the conversation: its note and "not run" answers to unexecuted calls. */
export const CLOSING_EXTRA_TOKENS = 256;
/** Tool results are never smaller than this; below it a round of tools is not worth running. */
export const MIN_TOOL_RESULT_BYTES = 384;
/**
 * When only the closing turn can follow, the calls still run (an edit the model made is applied) and their results
 * go to the closing turn, each cut to this: enough to say what happened, not more content to pay for.
 */
export const CLOSING_RESULT_BYTES = 2_000;
/** Room kept for a wind-down note appended to a tool-result message. */
export const NOTE_ALLOWANCE = 160;
/** Framing tokens per content block and per request, on top of the content itself. */
const BLOCK_FRAMING = 16;
const REQUEST_FRAMING = 64;

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

/** The next request's size: its content new to the model (loop tokens) and its whole prompt (what is billed). */
export interface RequestSize {
  newTokens: number;
  prompt: number;
}

/**
 * What one prompt token may cost: uncached input, or a write at the 5-minute TTL taskcap asks for. A token that
 * was cached is priced as a possible miss at that write price, never at the 1-hour one taskcap never requests.
 */
export const missRate = (pr: Prices): number => Math.max(pr.input, pr.cacheWrite5m);

/**
 * What the next request costs if the cache holds what the previous one left there (reads for that prefix, writes
 * for the rest): used to keep the closing turn paid for, never to decide whether a request may cross the cap.
 */
function expectedInputUsd(meter: Meter, prompt: number, pr: Prices): number {
  const cached = Math.min(prompt, meter.cachedPrefix);
  return (cached * pr.cacheRead + (prompt - cached) * missRate(pr)) / 1e6;
}

/**
 * Decide whether the next request may be sent and with which `max_tokens`, so that neither the loop-token
 * budget nor `max-cost-usd` can be crossed by it whatever the model does (its whole prompt priced as a cache miss).
 * A working request also keeps the closing turn after it paid for: that turn's own cache-miss cost and room for a
 * summary, assuming this request finds the cache it expects. So a hard cap holds back one request's cache-miss
 * cost at the end, and the rest of the money goes to work.
 */
export function planRequest(meter: Meter, limits: CapLimits, size: RequestSize, phase: Phase): Plan {
  const working = phase === 'working';
  const tokenRoom = limits.budget - (working ? limits.reserve : 0) - meter.committedTokens - size.newTokens;
  let maxTokens = Math.min(limits.maxOutputTokens, tokenRoom, working ? Infinity : CLOSING_OUTPUT_CAP);
  let limit: 'budget' | 'cost' = 'budget';
  if (limits.maxCostUsd !== undefined) {
    const affordable = affordableOutput(meter, limits, limits.maxCostUsd, size.prompt, phase, Math.max(0, maxTokens));
    if (affordable < maxTokens) {
      maxTokens = affordable;
      limit = 'cost';
    }
  }
  const minimum = !working ? MIN_CLOSING_OUTPUT : limit === 'cost' ? MIN_COST_BOUND_OUTPUT : MIN_USEFUL_OUTPUT;
  return maxTokens >= minimum ? { send: true, maxTokens, limit } : { send: false, limit };
}

/**
 * The last working request a tight cost cap allows, when the plan that keeps a closing turn paid for whatever the
 * model writes (planRequest) refuses: the request alone within the cap (its prompt as a cache miss), sent only if a
 * closing turn would still be paid for should the model write no more than `expectedOutput`, what its responses
 * in this run suggest. A small fix's last step (the model's own summary) then completes under a cap that could not
 * keep a worst-case closing turn; a model that writes more than expected gets taskcap's fallback summary. The cap
 * stays hard either way.
 */
export function planLastRequest(meter: Meter, limits: CapLimits, size: RequestSize, expectedOutput: number): Plan {
  const cap = limits.maxCostUsd;
  if (cap === undefined) return { send: false, limit: 'budget' };
  const tokenRoom = Math.min(limits.maxOutputTokens, limits.budget - limits.reserve - meter.committedTokens - size.newTokens);
  const left = cap - meter.committedUsd;
  const pr = pricesFor(limits.pricing, size.prompt);
  const hard = Math.floor(((left - (size.prompt * missRate(pr)) / 1e6) / pr.output) * 1e6);
  const maxTokens = Math.min(hard, tokenRoom);
  if (maxTokens < MIN_COST_BOUND_OUTPUT || tokenRoom < MIN_COST_BOUND_OUTPUT) return { send: false, limit: 'cost' };
  const after = pricesFor(limits.pricing, size.prompt + expectedOutput + CLOSING_EXTRA_TOKENS);
  const spent = expectedInputUsd(meter, size.prompt, pr) + (expectedOutput * pr.output) / 1e6;
  const closing = ((size.prompt + expectedOutput + CLOSING_EXTRA_TOKENS) * missRate(after) + MIN_CLOSING_OUTPUT * after.output) / 1e6;
  return spent + closing <= left ? { send: true, maxTokens, limit: 'cost' } : { send: false, limit: 'cost' };
}

/** Output tokens the cost cap allows the next request (for a working one, with the closing turn kept paid for). */
function affordableOutput(meter: Meter, limits: CapLimits, cap: number, prompt: number, phase: Phase, ceiling: number): number {
  const left = cap - meter.committedUsd;
  // Output is priced at the tier the prompt falls in; the prompt bound decides the tier, output does not.
  const pr = pricesFor(limits.pricing, prompt);
  const hard = (left - (prompt * missRate(pr)) / 1e6) / pr.output;
  if (phase === 'closing') return Math.floor(hard * 1e6);
  // The closing turn re-sends this prompt and this response, at the tier that longer prompt may fall in.
  const after = pricesFor(limits.pricing, prompt + ceiling + CLOSING_EXTRA_TOKENS);
  const closingFixed = ((prompt + CLOSING_EXTRA_TOKENS) * missRate(after) + closingOutputReserve(cap, after.output) * after.output) / 1e6;
  const kept = (left - expectedInputUsd(meter, prompt, pr) - closingFixed) / (pr.output + missRate(after));
  return Math.floor(Math.min(hard, kept) * 1e6);
}

/**
 * Smallest `max-cost-usd` under which a first request of `prompt` tokens could be sent as work (at least
 * MIN_COST_BOUND_OUTPUT of room, with its closing turn paid for): what the receipt names when not even the first
 * request fits. Rounded up to the cent.
 */
export function smallestStartingCap(limits: CapLimits, prompt: number): number {
  const pr = pricesFor(limits.pricing, prompt);
  const out = MIN_COST_BOUND_OUTPUT;
  const after = pricesFor(limits.pricing, prompt + out + CLOSING_EXTRA_TOKENS);
  const work = prompt * missRate(pr) + out * pr.output;
  // The reserve grows with the cap; the cap found with the largest reserve is enough whatever the reserve.
  const closing = (prompt + out + CLOSING_EXTRA_TOKENS) * missRate(after) + CLOSING_OUTPUT_RESERVE * after.output;
  let cap = Math.ceil(((work + closing) / 1e6) * 100) / 100;
  // Walk down by cents while a smaller cap (with its smaller summary reserve) still lets the request go.
  const needs = (c: number) => work + (prompt + out + CLOSING_EXTRA_TOKENS) * missRate(after) + closingOutputReserve(c, after.output) * after.output <= c * 1e6;
  while (cap > 0.01 && needs(Math.round((cap - 0.01) * 100) / 100)) cap = Math.round((cap - 0.01) * 100) / 100;
  return cap;
}

/**
 * Bytes each of `calls` tool results may take so that the request carrying them can still be sent as work: with
 * MIN_USEFUL_OUTPUT of room under the budget, and under a cost cap with its closing turn paid for (or as the last
 * step planLastRequest allows, for a model expected to write `expectedOutput`). Results shrink as the budget drains
 * instead of the run stopping early. When no working request can follow, the calls still run if the closing turn can
 * carry their results (at most CLOSING_RESULT_BYTES each, the summary's room kept): the model's last edits are
 * applied and it summarizes knowing their outcome. 0 bytes: not even that is affordable (`limit` says which cap binds).
 */
export function toolResultAllowance(
  meter: Meter,
  limits: CapLimits,
  calls: number,
  defaultCap: number,
  expectedOutput = MIN_USEFUL_OUTPUT,
): { bytes: number; limit: 'budget' | 'cost' } {
  const fixed = REQUEST_FRAMING + NOTE_ALLOWANCE + BLOCK_FRAMING * (calls + 1);
  const tokenRoom = limits.budget - limits.reserve - meter.committedTokens - MIN_USEFUL_OUTPUT - fixed;
  // The closing turn after these results: its note and the summary's room, within the whole budget.
  const closingTokenRoom = limits.budget - meter.committedTokens - fixed - CLOSING_EXTRA_TOKENS - CLOSING_OUTPUT_RESERVE;
  let room = tokenRoom;
  let closingRoom = closingTokenRoom;
  let limit: 'budget' | 'cost' = 'budget';
  let closingLimit: 'budget' | 'cost' = 'budget';
  if (limits.maxCostUsd !== undefined) {
    const left = limits.maxCostUsd * 1e6 - meter.committedUsd * 1e6;
    const base = meter.contextTokens + fixed;
    const ceiling = base + Math.max(0, tokenRoom, closingTokenRoom) + MIN_USEFUL_OUTPUT + CLOSING_EXTRA_TOKENS;
    const pr = pricesFor(limits.pricing, ceiling);
    const miss = missRate(pr);
    const o = pr.output;
    const out = MIN_COST_BOUND_OUTPUT;
    const summary = closingOutputReserve(limits.maxCostUsd, o);
    // What the next request is expected to cost before its results: the cached prefix read, the rest written.
    const cached = Math.min(base, meter.cachedPrefix);
    const readFirst = cached * pr.cacheRead + (base - cached) * miss;
    // The request itself, every token a possible miss: (base + r)·miss + out·o ≤ left.
    const hard = (left - out * o) / miss - base;
    // As work with its closing turn kept paid for: expected cost + out·o + the closing prompt as a miss + its output.
    const kept = (left - readFirst - out * o - (base + out + CLOSING_EXTRA_TOKENS) * miss - summary * o) / (2 * miss);
    // As the last step for a model that writes what it has written so far.
    const bet = (left - readFirst - expectedOutput * o - (base + expectedOutput + CLOSING_EXTRA_TOKENS) * miss - MIN_CLOSING_OUTPUT * o) / (2 * miss);
    const affordable = Math.floor(Math.min(hard, Math.max(kept, bet)));
    if (affordable < room) {
      room = affordable;
      limit = 'cost';
    }
    // As the closing turn's content: its whole prompt a possible miss, and the summary's room.
    const closingAffordable = Math.floor((left - summary * o) / miss - base - CLOSING_EXTRA_TOKENS);
    if (closingAffordable < closingRoom) {
      closingRoom = closingAffordable;
      closingLimit = 'cost';
    }
  }
  const perCall = Math.min(defaultCap, Math.floor(room / Math.max(1, calls)));
  if (perCall >= MIN_TOOL_RESULT_BYTES) return { bytes: perCall, limit };
  const forClosing = Math.min(CLOSING_RESULT_BYTES, defaultCap, Math.floor(closingRoom / Math.max(1, calls)));
  return forClosing >= MIN_TOOL_RESULT_BYTES ? { bytes: forClosing, limit } : { bytes: 0, limit: room < closingRoom ? limit : closingLimit };
}
