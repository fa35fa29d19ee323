import type { BetaMessage } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { Meter } from '../budget/meter.js';
import {
  estimateTokens,
  MIN_USEFUL_OUTPUT,
  missRate,
  planLastRequest,
  planRequest,
  smallestStartingCap,
  toolResultAllowance,
  type CapLimits,
  type Phase,
  type Plan,
  type RequestSize,
} from '../budget/preflight.js';
import { pricesFor } from '../budget/usage.js';
import { notRunResult, WindDown } from '../budget/wind-down.js';
import type { Effort, ModelSpec } from '../config/models.js';
import type { Clock, Log } from '../ports.js';
import { TOOL_DEFINITIONS, type ToolCall, type ToolOutcome } from '../tools/toolbox.js';
import { formatInt, formatUsd } from '../util/format.js';
import type { ClosingCause, EndReason } from '../vocabulary.js';
import { Conversation, textOf, toolCallsOf, type ToolAnswer } from './conversation.js';
import type { ModelCall, ModelPort } from './model.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { stableRequest } from './request-params.js';
import { sendWithRetries, type RequestRecord, type Sent } from './send.js';
import { countMargin, TokenCounter, worthCounting, type CountStats } from './token-counter.js';

export type { RequestRecord } from './send.js';

export { TASK_BUDGET_BETA } from './request-params.js';

export interface ToolRecord {
  request: number;
  name: string;
  durationMs: number;
  resultBytes: number;
  isError: boolean;
}

export interface LoopOutcome {
  endReason: EndReason;
  /** A sentence for the receipt when the loop did not complete normally. */
  detail?: string;
  /** The model's final text (its summary), if it wrote one. */
  summary?: string;
  meter: Meter;
  requests: RequestRecord[];
  tools: ToolRecord[];
  closingTurn: 'none' | 'sent' | 'skipped';
  refusal?: { category?: string | null; explanation?: string | null };
  /** Exact token counts asked for near a cap. */
  counting: CountStats;
  /** When the cost cap ended the work: what was spent and what the next step needed. */
  costStop?: CostStop;
}

/** The facts behind a cost-cap stop, for the receipt's "what it would take". */
export interface CostStop {
  /** False when not even the first request fitted. */
  started: boolean;
  capUsd: number;
  /** The prompt of the request that did not fit, in tokens (exact when counted). */
  promptTokens: number;
  /** What that request could cost at most: its prompt as a cache miss and room for useful output. */
  neededUsd: number;
  /** When the run could not start: the smallest max-cost-usd that lets it. */
  smallestCapUsd?: number;
}

export interface LoopSetup {
  model: ModelSpec;
  effort?: Effort;
  limits: CapLimits;
  system: string;
  /**
   * The repository's context (its instructions, map and README head), the same for every run on one commit: the
   * first block of the first message, with a cache breakpoint of its own so runs on that commit share it.
   */
  context?: string;
  /** Exact prompt tokens of tools + system + context when they were counted (the first request's bound starts there). */
  stableTokens?: number;
  /** The task: the rest of the first message. */
  firstMessage: string;
  /** Absolute time (clock ms) at which work stops and the closing turn begins. */
  deadline: number;
  /** How long the closing turn may take after a timeout. */
  closingGraceMs: number;
  /** Bytes a tool result may take when the budget is not tight. */
  toolResultBytes: number;
  retry?: RetryPolicy;
  /** How long a token count may take (default COUNT_TIMEOUT_MS). */
  countTimeoutMs?: number;
}

export interface Progress {
  requests: number;
  loopTokens: number;
  costUsd: number;
  step: string;
}

export interface LoopPorts {
  model: ModelPort;
  runTool: (call: ToolCall, capBytes: number, timeLeftMs: number, signal: AbortSignal) => Promise<ToolOutcome>;
  clock: Clock;
  log: Log;
  /** Cancellation (SIGINT/SIGTERM): stop now, no closing turn. */
  cancel: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Shared with what counted before the loop; made from `model` when absent. */
  counter?: TokenCounter;
}

/** Fixed prompt overhead the API adds when tools are present (documented: bash 325, editor 700, plus the tool-use system prompt). */
const TOOL_PROMPT_OVERHEAD = 2_000;
const CANCELLED = 'The workflow run was cancelled.';

/**
 * The capped agent loop: model ⇄ tools until the model finishes or a limit ends the work. Before every request
 * the preflight decides whether it may be sent and clamps `max_tokens` so that neither the loop-token budget nor
 * the cost cap can be crossed; as the budget drains, tool results shrink and notes tell the model to finish; at
 * the end a reserved closing turn asks for the summary. Nothing here publishes: the outcome says what happened.
 */
export async function runLoop(setup: LoopSetup, ports: LoopPorts): Promise<LoopOutcome> {
  const run = new LoopRun(setup, ports);
  try {
    for (;;) {
      if (ports.cancel.aborted) return run.end('cancelled', { detail: CANCELLED });
      if (run.phase === 'working' && run.index > 0 && run.pastDeadline()) run.close('timeout');

      const plan = await run.preflight();
      if (!plan.send) {
        if (run.phase === 'working' && run.index > 0) {
          run.close(plan.limit);
          continue;
        }
        return run.endUnsent(plan.limit);
      }
      const sent = await sendWithRetries(run.sendPorts, run.request(plan));
      if (sent.kind !== 'response') {
        const end = run.afterFailure(sent);
        if (end) return end;
        continue;
      }
      run.conversation.append(sent.message);
      run.index++;
      const end = await nextStep(run, sent);
      if (end) return end;
    }
  } finally {
    run.dispose();
  }
}

/** What the response's stop reason asks for: more tools, a closing turn, another request, or the end. */
async function nextStep(run: LoopRun, sent: Extract<Sent, { kind: 'response' }>): Promise<LoopOutcome | undefined> {
  const { message } = sent;
  const calls = toolCallsOf(message);
  if (run.phase === 'closing') {
    const summary = textOf(message);
    // A model that calls tools instead of summarizing is told once more, its calls answered "not run".
    if (!summary && calls.length > 0 && run.askAgainForSummary(calls)) return undefined;
    return run.end(run.closingCause, { closingTurn: 'sent', summary, detail: run.limitDetail(run.closingCause) });
  }
  switch (message.stop_reason) {
    case 'tool_use':
      await run.runTools(calls);
      return undefined;
    case 'max_tokens':
      // Cut at the clamp: the budget (or cost cap) ended this response. At the model's own ceiling, the calls it
      // did not finish are answered so it can issue them again.
      if (sent.maxTokens < run.setup.model.maxOutputTokens) run.close(sent.limit, calls);
      else if (calls.length === 0) return run.end('completed', { summary: textOf(message) });
      else run.conversation.answer(calls.map((c) => ({ id: c.id, text: notRunResult('truncated'), isError: true })));
      return undefined;
    case 'refusal': {
      const details = (message as BetaMessage & { stop_details?: { category?: string | null; explanation?: string | null } | null }).stop_details ?? undefined;
      return run.end('refusal', {
        refusal: details ?? {},
        summary: textOf(message),
        detail: `Claude declined to continue${details?.category ? ` (category: ${details.category})` : ''}.`,
      });
    }
    case 'model_context_window_exceeded':
      return run.end('context-window', { summary: textOf(message), detail: "The conversation filled the model's context window." });
    case 'pause_turn':
      // The API paused a long turn: send the conversation back as is and it continues.
      return undefined;
    default:
      return run.end('completed', { summary: textOf(message) });
  }
}

/** The state of one loop: meters, conversation, phase, deadline, and what was recorded. */
class LoopRun {
  readonly meter: Meter;
  readonly conversation: Conversation;
  readonly requests: RequestRecord[] = [];
  readonly tools: ToolRecord[] = [];
  phase: Phase = 'working';
  closingCause: ClosingCause = 'budget';
  /** Requests answered so far. */
  index = 0;
  private readonly windDown: WindDown;
  private readonly deadlineCtl = new AbortController();
  private readonly deadlineTimer: NodeJS.Timeout;
  /** Work stops at the deadline (or on cancellation); the closing turn has its own short grace. */
  private readonly workSignal: AbortSignal;
  private readonly params: Omit<ModelCall['params'], 'max_tokens' | 'messages'>;
  private readonly betas: string[];
  private readonly firstPromptUpper: number;
  private readonly counter: TokenCounter;
  /** The size the last preflight planned with (a bound, or exact when counted). */
  private size: RequestSize = { newTokens: 0, prompt: 0 };
  /** The closing turn was asked again after the model answered it with tool calls. */
  private askedAgain = false;
  costStop?: CostStop;

  constructor(
    readonly setup: LoopSetup,
    readonly ports: LoopPorts,
  ) {
    const { model, limits } = setup;
    this.meter = new Meter(model.pricing);
    this.conversation = new Conversation(setup.firstMessage, setup.context);
    this.windDown = new WindDown(limits.budget);
    this.deadlineTimer = setTimeout(() => this.deadlineCtl.abort(), Math.max(0, setup.deadline - ports.clock.now()));
    this.deadlineTimer.unref?.();
    this.workSignal = AbortSignal.any([ports.cancel, this.deadlineCtl.signal]);
    ({ params: this.params, betas: this.betas } = stableRequest(model, setup.effort, limits.budget, setup.system));
    this.firstPromptUpper =
      setup.stableTokens !== undefined
        ? setup.stableTokens + estimateTokens([setup.firstMessage])
        : estimateTokens([setup.system, JSON.stringify(TOOL_DEFINITIONS), setup.context ?? '', setup.firstMessage]) + TOOL_PROMPT_OVERHEAD;
    this.counter = ports.counter ?? new TokenCounter(ports.model, ports.log, setup.countTimeoutMs);
  }

  get sendPorts() {
    const { model, clock, log } = this.ports;
    return { model, meter: this.meter, pricing: this.setup.model.pricing, clock, log, retry: this.setup.retry ?? DEFAULT_RETRY, records: this.requests };
  }

  pastDeadline(): boolean {
    return this.deadlineCtl.signal.aborted || this.ports.clock.now() >= this.setup.deadline;
  }

  /**
   * May the next request be sent, and with which max_tokens? Planned first with the byte bound; when that bound
   * binds a cap, with the exact size the API counts. The first prompt is not loop tokens (the task-budget formula
   * counts only what the model writes in request 1), but it is paid for.
   */
  async preflight(): Promise<Plan> {
    const bound = this.boundSize();
    this.size = bound;
    let plan = planRequest(this.meter, this.setup.limits, bound, this.phase);
    if (worthCounting(plan, this.slackOf(bound))) {
      const counted = await this.counter.count(this.call(1), this.phase === 'closing' ? this.ports.cancel : this.workSignal);
      if (counted !== undefined) {
        const prompt = Math.min(bound.prompt, counted + countMargin(counted));
        this.size = { prompt, newTokens: this.index === 0 ? 0 : Math.min(bound.newTokens, Math.max(0, prompt - this.meter.contextTokens)) };
        plan = planRequest(this.meter, this.setup.limits, this.size, this.phase);
      }
    }
    if (plan.send || plan.limit !== 'cost' || this.phase !== 'working' || this.index === 0) return plan;
    // The cap cannot keep a worst-case closing turn after one more step: the step may still go when this run's
    // responses say the closing turn would remain paid for.
    const last = planLastRequest(this.meter, this.setup.limits, this.size, this.expectedOutput());
    if (last.send) this.ports.log.info(`The cost cap allows one more step (up to ${formatInt(last.maxTokens)} output tokens) if Claude writes no more than its responses so far (a closing turn stays paid for).`);
    return last.send ? last : plan;
  }

  /** What the next response is expected to write at most: a quarter more than the largest response of this run. */
  private expectedOutput(): number {
    const largest = this.meter.requests.reduce((m, r) => Math.max(m, r.counts.output), 0);
    return Math.ceil(largest * 1.25) + 32;
  }

  /** Conservative sizes of the next request: its new content, and its whole prompt. */
  private boundSize(): RequestSize {
    if (this.index === 0) return { newTokens: 0, prompt: this.firstPromptUpper };
    const newTokens = estimateTokens(this.conversation.newTexts);
    return { newTokens, prompt: this.meter.contextTokens + newTokens };
  }

  /** How much an exact count could win back: the bound's part that is an estimate (the rest is reported usage). */
  private slackOf(bound: RequestSize): number {
    if (this.index > 0) return bound.newTokens;
    return this.setup.stableTokens !== undefined ? bound.prompt - this.setup.stableTokens : bound.prompt;
  }

  private call(maxTokens: number): ModelCall {
    return { params: { ...this.params, max_tokens: maxTokens, messages: this.conversation.outgoing() }, betas: this.betas };
  }

  /** The next request, ready for the sender. */
  request(plan: Extract<Plan, { send: true }>) {
    const closing = this.phase === 'closing';
    const { clock } = this.ports;
    const { closingGraceMs, deadline } = this.setup;
    const size = this.size;
    this.ports.onProgress?.({ requests: this.index, loopTokens: this.meter.loopTokens, costUsd: this.meter.costUsd, step: closing ? 'writing the summary' : 'thinking' });
    return {
      index: this.index,
      phase: this.phase,
      plan,
      // A failed attempt's usage counts; the prompt re-sent is at least as large as the one just planned.
      replan: () =>
        planRequest(this.meter, this.setup.limits, { newTokens: size.newTokens, prompt: Math.max(size.prompt, this.meter.contextTokens + size.newTokens) }, this.phase),
      call: (maxTokens: number): ModelCall => this.call(maxTokens),
      signal: closing ? AbortSignal.any([this.ports.cancel, AbortSignal.timeout(closingGraceMs)]) : this.workSignal,
      timeoutMs: closing ? closingGraceMs : Math.max(1000, deadline - clock.now()),
      timeLeftMs: () => (closing ? closingGraceMs : deadline - clock.now()),
      budget: this.setup.limits.budget,
    };
  }

  /** Switch to the closing turn: unexecuted calls are answered as not run and the summary is asked for. */
  close(cause: ClosingCause, unexecuted: readonly ToolCall[] = []): void {
    this.phase = 'closing';
    this.closingCause = cause;
    if (cause === 'cost') this.costStop ??= this.costStopFor(Math.max(this.size.prompt, this.meter.contextTokens), true);
    this.conversation.close(cause, unexecuted);
    this.ports.log.info(`Closing turn: ${cause === 'budget' ? 'budget reached' : cause === 'cost' ? 'cost cap reached' : 'time is up'}; asking for a summary.`);
  }

  /**
   * The closing turn came back with tool calls and no summary: answer them "not run" and ask once more (the next
   * preflight decides whether that request is still affordable).
   */
  askAgainForSummary(calls: readonly ToolCall[]): boolean {
    if (this.askedAgain) return false;
    this.askedAgain = true;
    this.conversation.close(this.closingCause, calls);
    this.ports.log.info('The closing turn called tools instead of summarizing; the calls were not run and the summary is asked for again.');
    return true;
  }

  /** No request can be sent: too little left for a closing turn, or for the very first request. */
  endUnsent(limit: ClosingCause): LoopOutcome {
    const closing = this.phase === 'closing';
    const cause = closing ? this.closingCause : limit;
    if (!closing && this.index === 0 && cause === 'cost') this.costStop = this.costStopFor(this.size.prompt, false);
    this.ports.log.info(closing ? 'Too little budget left for a closing turn; taskcap writes the summary.' : 'The first request cannot be afforded.');
    return this.end(cause, { closingTurn: closing ? (this.askedAgain ? 'sent' : 'skipped') : 'none', detail: this.limitDetail(cause) });
  }

  /** What a request of `prompt` tokens could cost at most as useful work, and (before any work) the cap it needs. */
  private costStopFor(prompt: number, started: boolean): CostStop {
    const { limits } = this.setup;
    const pr = pricesFor(limits.pricing, prompt);
    return {
      started,
      capUsd: limits.maxCostUsd ?? 0,
      promptTokens: prompt,
      neededUsd: (prompt * missRate(pr) + MIN_USEFUL_OUTPUT * pr.output) / 1e6,
      ...(started ? {} : { smallestCapUsd: smallestStartingCap(limits, prompt) }),
    };
  }

  /** A request that got no response: end the run, or close it when the work can still be summarized. */
  afterFailure(sent: Exclude<Sent, { kind: 'response' }>): LoopOutcome | undefined {
    if (this.ports.cancel.aborted) return this.end('cancelled', { detail: CANCELLED });
    if (this.phase === 'closing') return this.end(this.closingCause, { closingTurn: this.askedAgain ? 'sent' : 'skipped', detail: this.limitDetail(this.closingCause) });
    if (this.index > 0 && this.pastDeadline()) return void this.close('timeout');
    if (this.index > 0 && sent.kind === 'unaffordable') return void this.close(sent.limit);
    if (sent.kind === 'unaffordable') return this.end(sent.limit, { detail: this.limitDetail(sent.limit) });
    return this.end(sent.failure.kind === 'aborted' ? 'timeout' : 'api-error', { detail: `The model request failed: ${sent.failure.message}` });
  }

  /** Execute one response's tool calls in order, each result within what the caps leave; then add any budget note. */
  async runTools(calls: ToolCall[]): Promise<void> {
    const { limits, toolResultBytes, deadline } = this.setup;
    const allowance = toolResultAllowance(this.meter, limits, calls.length, toolResultBytes, this.expectedOutput());
    if (allowance.bytes === 0) return this.close(allowance.limit, calls);
    const { clock, cancel } = this.ports;
    const request = this.index;
    const answers: ToolAnswer[] = [];
    for (const call of calls) {
      if (cancel.aborted || this.pastDeadline()) {
        answers.push({ id: call.id, text: notRunResult(cancel.aborted ? 'cancelled' : 'timeout'), isError: true });
        continue;
      }
      const out = await this.ports.runTool(call, allowance.bytes, Math.max(0, deadline - clock.now()), this.workSignal);
      this.ports.onProgress?.({ requests: request, loopTokens: this.meter.loopTokens, costUsd: this.meter.costUsd, step: out.step });
      this.tools.push({ request, name: out.name, durationMs: out.durationMs, resultBytes: out.resultBytes, isError: out.isError });
      answers.push({ id: call.id, text: out.text, isError: out.isError });
    }
    this.conversation.answer(answers);
    if (cancel.aborted) return;
    const note = this.windDown.noteFor(this.meter.loopTokens + estimateTokens(this.conversation.newTexts), this.meter.loopTokens / Math.max(1, this.meter.requests.length));
    if (note) this.conversation.addNote(note);
  }

  end(endReason: EndReason, extra: Partial<LoopOutcome> = {}): LoopOutcome {
    const costStop = endReason === 'cost' ? this.costStop : undefined;
    return { endReason, meter: this.meter, requests: this.requests, tools: this.tools, closingTurn: 'none', counting: this.counter.stats, ...(costStop ? { costStop } : {}), ...extra };
  }

  limitDetail(cause: ClosingCause): string {
    const { limits } = this.setup;
    const stop = this.costStop;
    if (cause === 'cost' && stop && !stop.started) {
      return `Not even the first request fits under the cost cap of ${formatUsd(stop.capUsd)}: its ${formatInt(stop.promptTokens)}-token prompt, room to write and a closing summary need at least ${formatUsd(stop.smallestCapUsd ?? 0)}. Nothing was done.`;
    }
    if (cause === 'cost' && stop) {
      return `The run reached its cost cap of ${formatUsd(stop.capUsd)} after spending ${formatUsd(this.meter.costUsd)}: its next step could have cost up to ${formatUsd(stop.neededUsd)} (a ${formatInt(stop.promptTokens)}-token prompt if the cache missed, and room to write).`;
    }
    if (cause === 'cost') return `The run reached its cost cap of ${formatUsd(limits.maxCostUsd ?? 0)}.`;
    if (cause === 'timeout') return 'The run reached its time limit (`timeout-minutes`).';
    return `The run used its budget of ${formatInt(limits.budget)} loop tokens.`;
  }

  dispose(): void {
    clearTimeout(this.deadlineTimer);
  }
}
