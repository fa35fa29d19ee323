/**
 * Randomized runs of the capped loop against the simulated Messages API (real SDK, real streaming, real tools
 * with a generated shell): random budgets, cost caps, models, thinking and output sizes, parallel tool calls,
 * tool-result sizes up to megabytes, and stop points; token counting that works, is missing, fails or is too slow;
 * cache entries evicted before the request that expected them; a repository context block; closing turns that think
 * first or call tools. Used by the property test and by `npm run bench`.
 */
import { silentLog } from '../support/logs.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sdk from '@anthropic-ai/sdk';
import Anthropic from '@anthropic-ai/sdk';
import { runLoop, type LoopOutcome } from '../../src/agent/loop.js';
import { createAnthropicModel, type ModelPort } from '../../src/agent/model.js';
import { stablePrefixCall, stableRequest } from '../../src/agent/request-params.js';
import { countMargin, TokenCounter } from '../../src/agent/token-counter.js';
import { SYSTEM_PROMPT } from '../../src/agent/prompt.js';
import { closingReserve } from '../../src/budget/preflight.js';
import { BUILT_IN_MODELS } from '../../src/config/models.js';
import { systemClock } from '../../src/ports.js';
import { CappedCollector } from '../../src/tools/output-cap.js';
import type { Shell } from '../../src/tools/shell.js';
import { TOOL_RESULT_BYTES } from '../../src/tools/toolbox.js';
import { createWorkbench } from '../../src/tools/workbench.js';
import { bash, create, text, thinking, view, startFakeAnthropic } from '../sim/anthropic.mjs';

/** Deterministic PRNG (mulberry32): a failing seed reproduces exactly. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    /** Log-uniform: small values as likely per decade as large ones. */
    logInt: (lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo)))),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)],
  };
}

const MODELS = ['claude-opus-4-7', 'claude-sonnet-4-6', 'claude-haiku-5-5', 'claude-opus-5-5'] as const;
const CLOSING_MARK = 'no further tool calls will run';

/** Output of `fuzz-output <bytes> <dense>`: ASCII, or dense multi-byte text (1 token per byte in the simulator). */
const ASCII_CHUNK = Buffer.from('0123456789 abcdefghij klmnopqrst uvwxyz ABCDEF\n'.repeat(1400));
const DENSE_CHUNK = Buffer.from('é日本語€'.repeat(4000));

/** A shell that generates output of the requested size through the same capped collector as the real one. */
const generatedShell: Shell = {
  description: 'fuzz',
  async run(req) {
    const m = /^fuzz-output (\d+) (\d)/.exec(req.command);
    const collector = new CappedCollector(req.maxOutputBytes);
    let left = m ? Number(m[1]) : 0;
    const chunk = m?.[2] === '1' ? DENSE_CHUNK : ASCII_CHUNK;
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      collector.push(chunk.subarray(0, n));
      left -= n;
    }
    return { output: collector.text(), totalBytes: collector.total, exitCode: 0, timedOut: false, aborted: false, durationMs: 0 };
  },
};

export interface FuzzResult {
  seed: number;
  model: string;
  budget: number;
  maxCostUsd?: number;
  loopTokens: number;
  costUsd: number;
  endReason: LoopOutcome['endReason'];
  closingTurn: LoopOutcome['closingTurn'];
  hasSummary: boolean;
  requests: number;
  /** Loop tokens above the budget (must be 0). */
  overshoot: number;
  /** USD above max-cost-usd (must be 0). */
  costOvershoot: number;
  /** Meter figures equal the sums of what the simulated API billed, and loop tokens equal the formula over them. */
  figuresMatch: string | true;
  filesWritten: number;
  /** How token counting behaved in this case, and the count calls made (each a free API call). */
  counting: CountMode;
  countCalls: number;
  /** Requests before which every cache entry was evicted. */
  evictions: number;
  /** The first message carried a repository context block. */
  withContext: boolean;
}

/** Token counting in a case: exact, not offered by the provider, failing (a 529), or slower than taskcap waits. */
type CountMode = 'exact' | 'absent' | 'failing' | 'slow';
/** How long the loop waits for a count in these runs; a slow count takes twice that. */
const COUNT_TIMEOUT_MS = 150;

interface Behaviour {
  /** Requests after which the model ends on its own (Infinity: only a limit ends the run). */
  stopAfter: number;
  maxThinkingTokens: number;
  maxParallel: number;
  maxResultBytes: number;
  closingObeys: number;
  denseThinking: boolean;
}

type Fake = Awaited<ReturnType<typeof startFakeAnthropic>>;

/** A shared simulated API and SDK client for many cases. */
export async function startFuzzHarness() {
  let reply: (request: { body: unknown }, index: number) => unknown = () => ({ content: [text('idle')] });
  let countReply: (index: number) => unknown = () => undefined;
  const fake: Fake = await startFakeAnthropic({
    script: (req: { body: unknown }, i: number) => reply(req, i) as never,
    countScript: (_req: unknown, i: number) => countReply(i) as never,
  });
  const client = new Anthropic({ apiKey: 'sk-ant-fuzz', baseURL: fake.url, maxRetries: 0 });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-fuzz-'));

  async function runCase(seed: number): Promise<FuzzResult> {
    const r = rng(seed);
    const model = BUILT_IN_MODELS.get(r.pick(MODELS))!;
    const budget = r.int(20_000, 300_000);
    const maxCostUsd = r.next() < 0.35 ? Number((0.02 + r.next() * 1.5).toFixed(2)) : undefined;
    const b: Behaviour = {
      stopAfter: r.next() < 0.3 ? r.int(1, 12) : Infinity,
      // Chars per response scale with the budget so a run takes tens of requests, not hundreds; the largest
      // settings write past max_tokens in one response, which exercises the clamp.
      // Tokens one response writes, sized so a run takes a few to a few dozen requests; now and then far more
      // than max_tokens allows, which exercises the clamp.
      maxThinkingTokens: Math.round(r.next() < 0.1 ? budget : budget / r.int(3, 40)),
      maxParallel: r.int(1, 4),
      maxResultBytes: r.pick([2_000, 50_000, 4_000_000]),  // generated output; the action caps what the model sees
      closingObeys: r.next(),
      denseThinking: r.next() < 0.5,
    };
    // Drawn from a stream of their own, so the draws above (and the cases the pinned seeds name) stay as they were.
    const x = rng(seed * 7919 + 17);
    const counting: CountMode = x.pick(['exact', 'exact', 'exact', 'absent', 'failing', 'slow'] as const);
    const countsBeforeFault = x.int(0, 3);
    const evictEvery = x.next() < 0.3 ? x.int(2, 6) : 0;
    // A repository context of a few hundred bytes to tens of kilobytes (ASCII: far fewer tokens than bytes).
    const context = x.next() < 0.5 ? `<repository-context>\n${'src/module/file.ts (12)\n'.repeat(x.logInt(10, 1_500))}</repository-context>` : undefined;
    const closingThinks = x.next();
    const workspace = fs.mkdtempSync(path.join(root, `case-${seed}-`));
    fs.writeFileSync(path.join(workspace, 'README.md'), '# fuzz\n'.repeat(50));
    let writes = 0;
    let evictions = 0;

    countReply = (i) =>
      counting === 'failing' && i >= countsBeforeFault
        ? { error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } }
        : counting === 'slow' && i >= countsBeforeFault
          ? { delayMs: COUNT_TIMEOUT_MS * 2 }
          : undefined;
    reply = (request, index) => {
      if (evictEvery > 0 && index > 0 && index % evictEvery === 0) {
        fake.clearCache();
        evictions++;
      }
      const body = request.body as { messages: { content: unknown }[] };
      const last = JSON.stringify(body.messages[body.messages.length - 1]?.content ?? '');
      if (last.includes(CLOSING_MARK)) {
        // Thinking on (adaptive) in the closing turn too: half the time the model thinks a little before its summary.
        const thought = closingThinks < 0.5 ? [thinking('Summing up what was done and what is left. '.repeat(r.int(0, 40)))] : [];
        return r.next() < 0.85 || b.closingObeys > 0.3
          ? { content: [...thought, text(`Summary for seed ${seed}: wrote ${writes} files; ${'details '.repeat(r.int(1, 400))}`)] }
          : { content: [...thought, bash('fuzz-output 10 0')] }; // a model that ignores the note: its call must not run
      }
      if (index >= b.stopAfter) return { content: [text(`Finished after ${index} requests.`)] };
      const blocks: unknown[] = [];
      const th = r.int(0, b.maxThinkingTokens);
      // Dense text (1 token per byte in the simulator) is the estimator's worst case; ASCII its loosest.
      if (th > 0) blocks.push(thinking(b.denseThinking ? '推理'.repeat(Math.ceil(th / 6)) : 'reasoning '.repeat(Math.ceil((th * 4) / 10))));
      if (r.next() < 0.5) blocks.push(text('Next step. '.repeat(r.int(1, Math.ceil(budget / 200)))));
      for (let k = r.int(1, b.maxParallel); k > 0; k--) {
        const kind = r.next();
        if (kind < 0.6) blocks.push(bash(`fuzz-output ${r.logInt(1, Math.max(2, Math.min(b.maxResultBytes, b.maxThinkingTokens * 8)))} ${r.next() < 0.3 ? 1 : 0}`));
        else if (kind < 0.85) {
          writes++;
          blocks.push(create(`notes/f${index}-${k}.txt`, `note ${seed}/${index}\n`.repeat(r.int(1, 300))));
        } else blocks.push(view('README.md'));
      }
      return { content: blocks };
    };

    fake.requests.length = 0;
    fake.countRequests.length = 0;
    fake.billed.length = 0;
    fake.clearCache();
    const bench = createWorkbench({ workspace, shell: generatedShell, protectedGlobs: [], redact: (t) => t, clock: systemClock });
    const silent = silentLog;
    const real = createAnthropicModel(sdk, client);
    const port: ModelPort = counting === 'absent' ? { send: (call, o) => real.send(call, o) } : real;
    const counter = new TokenCounter(port, silent, COUNT_TIMEOUT_MS);
    const effort = model.efforts.includes('high') ? ('high' as const) : undefined;
    // As run-agent does: the stable prefix counted once, so the first request's bound starts from a count.
    const stableCount = context ? await counter.count(stablePrefixCall(stableRequest(model, effort, budget, SYSTEM_PROMPT), context), new AbortController().signal) : undefined;
    const outcome = await runLoop(
      {
        model,
        effort,
        limits: { budget, reserve: closingReserve(budget), maxCostUsd, pricing: model.pricing, maxOutputTokens: model.maxOutputTokens },
        system: SYSTEM_PROMPT,
        context,
        stableTokens: stableCount !== undefined ? stableCount + countMargin(stableCount) : undefined,
        countTimeoutMs: COUNT_TIMEOUT_MS,
        firstMessage: `Fuzz case ${seed}: keep working until told to stop.`,
        // Far more than any case needs: a stalled request shows up as a failed seed (endReason timeout), not a hang.
        deadline: Date.now() + 120_000,
        closingGraceMs: 60_000,
        toolResultBytes: r.pick([2_000, 5_000, TOOL_RESULT_BYTES]),
      },
      {
        model: port,
        runTool: (call, cap, left, signal) => bench.toolbox.run(call, cap, left, signal),
        clock: systemClock,
        log: silent,
        cancel: new AbortController().signal,
        counter,
      },
    );
    bench.dispose();
    const filesWritten = fs.existsSync(path.join(workspace, 'notes')) ? fs.readdirSync(path.join(workspace, 'notes')).length : 0;
    fs.rmSync(workspace, { recursive: true, force: true });

    return {
      seed,
      model: model.id,
      budget,
      maxCostUsd,
      loopTokens: outcome.meter.loopTokens,
      costUsd: outcome.meter.costUsd,
      endReason: outcome.endReason,
      closingTurn: outcome.closingTurn,
      hasSummary: Boolean(outcome.summary),
      requests: outcome.requests.length,
      overshoot: Math.max(0, outcome.meter.loopTokens - budget),
      costOvershoot: maxCostUsd === undefined ? 0 : Math.max(0, outcome.meter.costUsd - maxCostUsd),
      figuresMatch: compareFigures(outcome, fake.billed),
      filesWritten,
      counting,
      countCalls: fake.countRequests.length,
      evictions,
      withContext: context !== undefined,
    };
  }

  return {
    runCase,
    async close() {
      await fake.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

type BilledEntry = { input_tokens: number; output_tokens: number; cache_creation_input_tokens?: number | null; cache_read_input_tokens?: number | null };

/** Recompute loop tokens and billed sums from what the simulator billed; any difference is reported. */
function compareFigures(outcome: LoopOutcome, billed: BilledEntry[]): string | true {
  let loop = 0;
  let prev: { t: number; o: number } | undefined;
  const sum = { input: 0, write: 0, read: 0, output: 0 };
  for (const e of billed) {
    const t = e.input_tokens + (e.cache_creation_input_tokens ?? 0) + (e.cache_read_input_tokens ?? 0);
    loop += e.output_tokens + (prev ? Math.max(0, t - prev.t - prev.o) : 0);
    prev = { t, o: e.output_tokens };
    sum.input += e.input_tokens;
    sum.write += e.cache_creation_input_tokens ?? 0;
    sum.read += e.cache_read_input_tokens ?? 0;
    sum.output += e.output_tokens;
  }
  const m = outcome.meter;
  const got = { input: m.billed.input, write: m.billed.cacheWrite5m + m.billed.cacheWrite1h, read: m.billed.cacheRead, output: m.billed.output };
  if (loop !== m.loopTokens) return `loop tokens ${m.loopTokens} ≠ ${loop} recomputed`;
  for (const k of Object.keys(sum) as (keyof typeof sum)[]) if (sum[k] !== got[k]) return `${k} ${got[k]} ≠ ${sum[k]} billed`;
  return true;
}

/** Run these seeds and return every result (for the property test). */
export async function runCases(seeds: readonly number[]): Promise<FuzzResult[]> {
  const harness = await startFuzzHarness();
  try {
    const results: FuzzResult[] = [];
    for (const seed of seeds) results.push(await harness.runCase(seed));
    return results;
  } finally {
    await harness.close();
  }
}

/** Run seeds [from, to] and return every result (for the benchmark). */
export function runSeeds(from: number, to: number): Promise<FuzzResult[]> {
  return runCases(Array.from({ length: to - from + 1 }, (_, i) => from + i));
}
