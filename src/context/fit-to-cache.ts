import { countMargin, type TokenCounter } from '../agent/token-counter.js';
import { stablePrefixCall, type StableRequest } from '../agent/request-params.js';
import { missRate } from '../budget/preflight.js';
import type { Prices } from '../config/models.js';
import { BASE_ALLOWANCE, MAX_ALLOWANCE, type MapAllowance } from './repo-map.js';
import { buildRepositoryContext, type ContextSource, type RepositoryContext } from './repository-context.js';

/**
 * The stable prefix (tools, system, repository context) is cached on its own only when it reaches the model's
 * minimum cacheable length. When it falls short, more of the map (the README, the heads of files, the tree) can fill
 * it up to the minimum. Whether
 * that pays is a comparison of prices, made here for each run:
 *
 * - Filling g tokens costs them once as a cache write and once per later request as a read:
 *   g × (write + read × (N − 1)).
 * - It saves (a) the stable part being written again by the next run on the same commit instead of read:
 *   minimum × (write − read) for one such run (a re-run, another shard, another issue on the commit), and (b) in this
 *   run, while the prompt stays below the minimum, every request is billed at the full input price; with the fill,
 *   from request 2 on, that prompt is read from the cache: Σ prompt_k × (input − read) over those requests.
 *
 * With Opus prices (write 1.25×, read 0.1× input) and N = 20 requests, (a) alone pays for a gap of up to 36% of the
 * minimum (747 tokens at 2,048; 1,495 at 4,096); (b) adds the most when even the task leaves request 1 below the
 * minimum. A fill that the repository's content cannot complete is not made (it would cost without caching).
 */

/** Requests a run is assumed to make (the bench's 20-request fix). */
export const EXPECTED_REQUESTS = 20;
/** Later runs on the same commit assumed to read the stable part within the cache's lifetime. */
export const SHARED_RUNS = 1;
/** Tokens a request adds to the prompt, for how long a run stays below the minimum (the 20-request fix's median). */
export const GROWTH_PER_REQUEST = 600;
/** Filled to a little above the minimum: the estimate of the extra content's tokens per byte is linear. */
const FILL_MARGIN = 1.05;

export interface FillDecision {
  fill: boolean;
  /** Tokens short of the minimum (0 when the stable part already reaches it). */
  gap: number;
  /** In USD per run, at the model's prices. */
  costUsd: number;
  savesUsd: number;
}

/**
 * Whether filling the stable prefix (`stable` tokens) up to `minimum` pays, for a task of about `task` tokens.
 * Pure: a function of the numbers.
 */
export function fillDecision(stable: number, task: number, minimum: number, prices: Prices): FillDecision {
  const gap = Math.max(0, minimum - stable);
  if (gap === 0) return { fill: false, gap, costUsd: 0, savesUsd: 0 };
  const write = missRate(prices);
  const read = prices.cacheRead;
  const cost = gap * (write + read * (EXPECTED_REQUESTS - 1));
  let saves = SHARED_RUNS * minimum * (write - read);
  for (let prompt = stable + task, k = 1; prompt < minimum && k < EXPECTED_REQUESTS; prompt += GROWTH_PER_REQUEST, k++) {
    saves += prompt * (prices.input - read);
  }
  return { fill: cost <= saves, gap, costUsd: cost / 1e6, savesUsd: saves / 1e6 };
}

/** The allowance with `extra` bytes more: first the README, then the heads of files, then the tree. */
export function allowanceWith(extra: number): MapAllowance {
  const readmeRoom = MAX_ALLOWANCE.readmeBytes - BASE_ALLOWANCE.readmeBytes;
  const headsRoom = MAX_ALLOWANCE.fileHeadsBytes - BASE_ALLOWANCE.fileHeadsBytes;
  const afterReadme = Math.max(0, extra - readmeRoom);
  return {
    readmeBytes: BASE_ALLOWANCE.readmeBytes + Math.min(readmeRoom, extra),
    fileHeadsBytes: BASE_ALLOWANCE.fileHeadsBytes + Math.min(headsRoom, afterReadme),
    treeBytes: Math.min(MAX_ALLOWANCE.treeBytes, BASE_ALLOWANCE.treeBytes + Math.max(0, afterReadme - headsRoom)),
  };
}
const MAX_EXTRA =
  MAX_ALLOWANCE.readmeBytes - BASE_ALLOWANCE.readmeBytes + MAX_ALLOWANCE.fileHeadsBytes - BASE_ALLOWANCE.fileHeadsBytes + MAX_ALLOWANCE.treeBytes - BASE_ALLOWANCE.treeBytes;

export interface FittedContext {
  context: RepositoryContext;
  /** Exact tokens of tools + system + context (with the counting margin), when counted. */
  stableTokens?: number;
  minimum?: number;
  decision?: FillDecision;
}

/**
 * The context for this run: the base map, or a larger one when the stable prefix falls short of the model's cache
 * minimum and the fill pays (fillDecision). Counts the stable prefix (one free call; two more when a fill is made:
 * the largest context, to learn its tokens per byte, and the one chosen); without counting, the base context.
 */
export async function fitToCacheMinimum(
  source: ContextSource,
  o: {
    stable: StableRequest;
    counter: TokenCounter;
    signal: AbortSignal;
    minimum?: number;
    prices: Prices;
    taskBytes: number;
    /** Applied to every context before it leaves taskcap, counted or sent (a repository file can hold a secret). */
    redact: (text: string) => string;
  },
): Promise<FittedContext> {
  const outbound = (c: RepositoryContext): RepositoryContext => {
    const text = o.redact(c.text);
    return text === c.text ? c : { ...c, text, bytes: Buffer.byteLength(text, 'utf8') };
  };
  const build = async (allowance: MapAllowance) => outbound(await buildRepositoryContext(source, allowance));
  const base = outbound(await source.base);
  if (o.minimum === undefined || !o.counter.available) return { context: base };
  const count = (c: RepositoryContext) => o.counter.count(stablePrefixCall(o.stable, c.text), o.signal);
  const baseTokens = await count(base);
  if (baseTokens === undefined) return { context: base };
  const fitted = { context: base, stableTokens: baseTokens + countMargin(baseTokens), minimum: o.minimum };
  // The task is at most its bytes; a shorter task only makes the fill pay more.
  const decision = fillDecision(baseTokens, Math.ceil(o.taskBytes / 4), o.minimum, o.prices);
  if (!decision.fill) return { ...fitted, decision };
  const full = await build(allowanceWith(MAX_EXTRA));
  if (full.bytes <= base.bytes) return { ...fitted, decision: { ...decision, fill: false } };
  const fullTokens = await count(full);
  if (fullTokens === undefined || fullTokens < o.minimum) return { ...fitted, decision: { ...decision, fill: false } };
  // Tokens per byte of the extra content, then the smallest allowance whose context has the bytes the gap needs.
  const perByte = (fullTokens - baseTokens) / (full.bytes - base.bytes);
  const wantBytes = base.bytes + Math.ceil((decision.gap * FILL_MARGIN) / perByte);
  let lo = 0;
  let hi = MAX_EXTRA;
  while (hi - lo > 64) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await build(allowanceWith(mid))).bytes >= wantBytes) hi = mid;
    else lo = mid;
  }
  if (hi === MAX_EXTRA) return { context: full, stableTokens: fullTokens + countMargin(fullTokens), minimum: o.minimum, decision };
  // Counted once more: the first request's bound starts from this number, so it must be a count, not an estimate.
  const context = await build(allowanceWith(hi));
  const tokens = await count(context);
  return { context, ...(tokens !== undefined ? { stableTokens: tokens + countMargin(tokens) } : {}), minimum: o.minimum, decision };
}
