import type {
  BetaContentBlock,
  BetaContentBlockParam,
  BetaMessage,
  BetaMessageParam,
  BetaToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { Meter } from '../budget/meter.js';
import { estimateTokens, planRequest, toolResultAllowance, type CapLimits, type Phase } from '../budget/preflight.js';
import { closingNote, notRunResult, WindDown, type ClosingCause } from '../budget/wind-down.js';
import { pricesFor, type TokenCounts } from '../budget/usage.js';
import type { Effort, ModelSpec } from '../config/models.js';
import type { Clock, Log } from '../ports.js';
import { TOOL_DEFINITIONS, type ToolCall, type ToolOutcome } from '../tools/toolbox.js';
import { formatInt, formatUsd } from '../util/format.js';
import { ModelFailure, type ModelCall, type ModelPort } from './model.js';
import { decideRetry, DEFAULT_RETRY, type RetryPolicy } from './retry.js';

export const TASK_BUDGET_BETA = 'task-budgets-2026-03-13';

/** Why the loop ended. */
export type EndReason = 'completed' | ClosingCause | 'cancelled' | 'refusal' | 'context-window' | 'api-error';

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
}

export interface LoopSetup {
  model: ModelSpec;
  effort?: Effort;
  limits: CapLimits;
  system: string;
  firstMessage: string;
  /** Absolute time (clock ms) at which work stops and the closing turn begins. */
  deadline: number;
  /** How long the closing turn may take after a timeout. */
  closingGraceMs: number;
  /** Bytes a tool result may take when the budget is not tight. */
  toolResultBytes: number;
  retry?: RetryPolicy;
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
}

/** Output a broken stream may have generated beyond what reached taskcap. */
const IN_FLIGHT_TOKENS = 512;

/** Fixed prompt overhead the API adds when tools are present (documented: bash 325, editor 700, plus the tool-use system prompt). */
const TOOL_PROMPT_OVERHEAD = 2_000;

interface Pending {
  content: BetaContentBlockParam[];
  /** The texts new to the model in this message (for the conservative estimate). */
  texts: string[];
}

const textOf = (m: BetaMessage): string =>
  m.content
    .filter((b): b is Extract<BetaContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim();

const toolCallsOf = (m: BetaMessage): ToolCall[] =>
  m.content
    .filter((b): b is Extract<BetaContentBlock, { type: 'tool_use' }> => b.type === 'tool_use')
    .map((b) => ({ id: b.id, name: b.name, input: b.input }));

/** Response blocks as request params: the assistant turn goes back verbatim (thinking signatures included). */
function asParams(content: BetaContentBlock[]): BetaContentBlockParam[] {
  return content.map((b): BetaContentBlockParam => {
    switch (b.type) {
      case 'text':
        return { type: 'text', text: b.text };
      case 'thinking':
        return { type: 'thinking', thinking: b.thinking, signature: b.signature };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: b.data };
      case 'tool_use':
        return { type: 'tool_use', id: b.id, name: b.name, input: b.input ?? {} };
      default:
        return b as unknown as BetaContentBlockParam;
    }
  });
}

const result = (id: string, text: string, isError: boolean): BetaToolResultBlockParam => ({
  type: 'tool_result',
  tool_use_id: id,
  content: text,
  ...(isError ? { is_error: true } : {}),
});

/**
 * The capped agent loop: model ⇄ tools until the model finishes or a limit ends the work. Before every request
 * the preflight decides whether it may be sent and clamps `max_tokens` so that neither the loop-token budget nor
 * the cost cap can be crossed; as the budget drains, tool results shrink and notes tell the model to finish; at
 * the end a reserved closing turn asks for the summary. Nothing here publishes: the outcome says what happened.
 */
export async function runLoop(setup: LoopSetup, ports: LoopPorts): Promise<LoopOutcome> {
  const { model, limits } = setup;
  const { clock, log } = ports;
  const retry = setup.retry ?? DEFAULT_RETRY;
  const meter = new Meter(model.pricing);
  const requests: RequestRecord[] = [];
  const tools: ToolRecord[] = [];
  const windDown = new WindDown(limits.budget);
  const messages: BetaMessageParam[] = [];
  let pending: Pending | null = { content: [{ type: 'text', text: setup.firstMessage }], texts: [setup.firstMessage] };
  let phase = 'working' as Phase;
  let closingCause = 'budget' as ClosingCause;
  let index = 0;

  // Work stops at the deadline; the closing turn after a timeout gets a short grace of its own.
  const deadlineCtl = new AbortController();
  const untilDeadline = Math.max(0, setup.deadline - clock.now());
  const deadlineTimer = setTimeout(() => deadlineCtl.abort(), untilDeadline);
  deadlineTimer.unref?.();
  const workSignal = AbortSignal.any([ports.cancel, deadlineCtl.signal]);
  const pastDeadline = () => deadlineCtl.signal.aborted || clock.now() >= setup.deadline;

  const params = {
    model: model.id,
    system: [{ type: 'text' as const, text: setup.system, cache_control: { type: 'ephemeral' as const } }],
    tools: TOOL_DEFINITIONS as unknown as ModelCall['params']['tools'],
    // Automatic caching: the breakpoint moves to the end of the history as it grows.
    cache_control: { type: 'ephemeral' as const },
    ...(model.adaptiveThinking ? { thinking: { type: 'adaptive' as const } } : {}),
    ...outputConfig(model, setup.effort, limits.budget),
  };
  const betas = model.taskBudget ? [TASK_BUDGET_BETA] : [];
  const firstPromptUpper =
    estimateTokens([setup.system, JSON.stringify(TOOL_DEFINITIONS), setup.firstMessage]) + TOOL_PROMPT_OVERHEAD;

  const finish = (endReason: EndReason, extra: Partial<LoopOutcome> = {}): LoopOutcome => {
    clearTimeout(deadlineTimer);
    return { endReason, meter, requests, tools, closingTurn: 'none', ...extra };
  };

  /** Switch to the closing turn: answer unexecuted calls as not run and ask for the summary. */
  const enterClosing = (cause: ClosingCause, unexecuted: ToolCall[] = []) => {
    phase = 'closing';
    closingCause = cause;
    const notRun = unexecuted.map((c) => result(c.id, notRunResult(cause), true));
    const note = closingNote(cause);
    const base = pending ?? { content: [], texts: [] };
    pending = { content: [...notRun, ...base.content, { type: 'text', text: note }], texts: [...base.texts, ...notRun.map((r) => String(r.content)), note] };
    log.info(`Closing turn: ${cause === 'budget' ? 'budget reached' : cause === 'cost' ? 'cost cap reached' : 'time is up'}; asking for a summary.`);
  };

  for (;;) {
    if (ports.cancel.aborted) return finish('cancelled', { detail: 'The workflow run was cancelled.' });
    if (phase === 'working' && pastDeadline() && index > 0) enterClosing('timeout');

    // Preflight: may this request be sent, and with which max_tokens? The first prompt is not loop tokens (the
    // task-budget formula counts only what the model writes in request 1), but it is paid for.
    const newTokens = index === 0 ? 0 : estimateTokens(pending?.texts ?? []);
    const promptUpper = index === 0 ? firstPromptUpper : meter.contextTokens + newTokens;
    const plan = planRequest(meter, limits, newTokens, promptUpper, phase);
    if (!plan.send) {
      if (phase === 'working' && index > 0) {
        enterClosing(plan.limit);
        continue;
      }
      const cause = phase === 'closing' ? closingCause : plan.limit;
      log.info(phase === 'closing' ? 'Too little budget left for a closing turn; taskcap writes the summary.' : 'The first request cannot be afforded.');
      return finish(cause, { closingTurn: phase === 'closing' ? 'skipped' : 'none', detail: limitDetail(cause, limits) });
    }

    const outgoing: BetaMessageParam[] = pending ? [...messages, { role: 'user', content: pending.content }] : messages;
    const signal = phase === 'closing' ? AbortSignal.any([ports.cancel, AbortSignal.timeout(setup.closingGraceMs)]) : workSignal;
    const timeoutMs = phase === 'closing' ? setup.closingGraceMs : Math.max(1000, setup.deadline - clock.now());
    ports.onProgress?.({ requests: index, loopTokens: meter.loopTokens, costUsd: meter.costUsd, step: phase === 'closing' ? 'writing the summary' : 'thinking' });

    // Send, retrying transient failures; every attempt that reported usage is metered.
    let response: { message: BetaMessage; requestId?: string } | undefined;
    let failure: ModelFailure | undefined;
    let maxTokens = plan.maxTokens;
    let bound = plan.limit;
    for (let attempt = 1; ; attempt++) {
      const started = clock.now();
      try {
        const call: ModelCall = { params: { ...params, max_tokens: maxTokens, messages: outgoing }, betas };
        log.debug(`request ${index + 1} sent`);
        response = await ports.model.send(call, { signal, timeoutMs });
        const metered = meter.record(response.message.usage);
        requests.push({
          index,
          attempt,
          phase,
          requestId: response.requestId,
          maxTokens,
          stopReason: response.message.stop_reason,
          counts: metered.counts,
          loopDelta: metered.loopDelta,
          loopAfter: meter.loopTokens,
          costUsd: metered.costUsd,
          durationMs: clock.now() - started,
        });
        const c = metered.counts;
        log.info(
          `Request ${index + 1}${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${formatInt(c.input)} in, ${formatInt(c.cacheRead)} cache read, ${formatInt(c.cacheWrite5m + c.cacheWrite1h)} cache write, ${formatInt(c.output)} out (max ${formatInt(maxTokens)}); loop ${formatInt(meter.loopTokens)}/${formatInt(limits.budget)}; ${formatUsd(meter.costUsd)}; ${response.message.stop_reason}; ${response.requestId ?? 'no request id'}`,
        );
        break;
      } catch (e) {
        failure = e instanceof ModelFailure ? e : new ModelFailure(String(e), 'fatal');
        const partial = failure.details.partialUsage;
        const metered = partial ? meter.record(partial) : undefined;
        if (metered) {
          // The stream started and died before its final usage: what it wrote is counted from the bytes received
          // (never fewer tokens than bytes), plus what may have been generated but not yet delivered.
          const written = Math.min(maxTokens, (failure.details.streamedBytes ?? maxTokens) + IN_FLIGHT_TOKENS);
          const unreported = Math.max(0, written - metered.counts.output);
          meter.assumeUnreported(unreported, pricesFor(model.pricing, metered.prompt).output);
          if (unreported > 0) log.warn(`Request ${index + 1} was interrupted; up to ${formatInt(unreported)} output tokens it did not report are counted against the caps.`);
        }
        requests.push({
          index,
          attempt,
          phase,
          requestId: failure.details.requestId,
          maxTokens,
          stopReason: null,
          counts: metered?.counts,
          loopDelta: metered?.loopDelta ?? 0,
          loopAfter: meter.loopTokens,
          costUsd: metered?.costUsd ?? 0,
          durationMs: clock.now() - started,
          error: failure.message,
        });
        const decision = failure.kind === 'aborted' ? { retry: false as const } : decideRetry(failure, attempt, retry);
        const timeLeft = (phase === 'closing' ? setup.closingGraceMs : setup.deadline - clock.now()) - (decision.retry ? decision.waitMs : 0);
        if (!decision.retry || timeLeft <= 0) {
          log.warn(`Request ${index + 1} attempt ${attempt} failed: ${failure.message} (${failure.details.requestId ?? 'no request id'}); not retried.`);
          break;
        }
        log.warn(`Request ${index + 1} attempt ${attempt} failed: ${failure.message} (${failure.details.requestId ?? 'no request id'}); retrying in ${(decision.waitMs / 1000).toFixed(1)} s.`);
        await clock.sleep(decision.waitMs, signal);
        if (signal.aborted) break;
        // Usage reported by the failed attempt counts: re-plan before trying again.
        const again = planRequest(meter, limits, newTokens, Math.max(promptUpper, meter.contextTokens + newTokens), phase);
        if (!again.send) break;
        maxTokens = again.maxTokens;
        bound = again.limit;
        failure = undefined;
      }
    }

    if (!response) {
      if (ports.cancel.aborted) return finish('cancelled', { detail: 'The workflow run was cancelled.' });
      if (phase === 'closing') return finish(closingCause, { closingTurn: 'skipped', detail: limitDetail(closingCause, limits) });
      if (pastDeadline() && index > 0) {
        enterClosing('timeout');
        continue;
      }
      if (!failure) {
        // The retry could no longer be afforded.
        if (index > 0) {
          enterClosing('budget');
          continue;
        }
        return finish('budget', { detail: limitDetail('budget', limits) });
      }
      return finish(failure.kind === 'aborted' ? 'timeout' : 'api-error', { detail: `The model request failed: ${failure.message}` });
    }

    const message = response.message;
    if (pending) messages.push({ role: 'user', content: pending.content });
    const last = messages[messages.length - 1];
    if (!pending && last?.role === 'assistant' && Array.isArray(last.content)) {
      // The continuation of a paused turn belongs to the same assistant message.
      last.content.push(...asParams(message.content));
    } else messages.push({ role: 'assistant', content: asParams(message.content) });
    pending = null;
    index++;
    const calls = toolCallsOf(message);

    if (phase === 'closing') {
      return finish(closingCause, { closingTurn: 'sent', summary: textOf(message) || undefined, detail: limitDetail(closingCause, limits) });
    }

    switch (message.stop_reason) {
      case 'tool_use': {
        const allowance = toolResultAllowance(meter, limits, calls.length, setup.toolResultBytes);
        if (allowance.bytes === 0) {
          enterClosing(allowance.limit, calls);
          continue;
        }
        pending = await runTools(calls, allowance.bytes, index);
        if (ports.cancel.aborted) continue;
        const note = windDown.noteFor(meter.loopTokens + estimateTokens(pending.texts), meter.loopTokens / Math.max(1, meter.requests.length));
        if (note) {
          pending.content.push({ type: 'text', text: note });
          pending.texts.push(note);
        }
        continue;
      }
      case 'max_tokens': {
        if (maxTokens < model.maxOutputTokens) {
          // Cut at the clamp: the budget (or cost cap) ended this response.
          enterClosing(bound, calls);
          continue;
        }
        if (calls.length === 0) return finish('completed', { summary: textOf(message) || undefined });
        pending = { content: calls.map((c) => result(c.id, notRunResult('truncated'), true)), texts: calls.map(() => notRunResult('truncated')) };
        continue;
      }
      case 'refusal': {
        const details = (message as BetaMessage & { stop_details?: { category?: string | null; explanation?: string | null } | null }).stop_details ?? undefined;
        return finish('refusal', {
          refusal: details ?? {},
          summary: textOf(message) || undefined,
          detail: `Claude declined to continue${details?.category ? ` (category: ${details.category})` : ''}.`,
        });
      }
      case 'model_context_window_exceeded':
        return finish('context-window', { summary: textOf(message) || undefined, detail: "The conversation filled the model's context window." });
      case 'pause_turn':
        // The API paused a long turn: send the conversation back as is and it continues.
        continue;
      default:
        return finish('completed', { summary: textOf(message) || undefined });
    }
  }

  /** Execute one response's tool calls, in order, each result capped at `capBytes`. */
  async function runTools(calls: ToolCall[], capBytes: number, request: number): Promise<Pending> {
    const content: BetaContentBlockParam[] = [];
    const texts: string[] = [];
    for (const call of calls) {
      let outcome: { text: string; isError: boolean };
      if (ports.cancel.aborted) outcome = { text: notRunResult('cancelled'), isError: true };
      else if (pastDeadline()) outcome = { text: notRunResult('timeout'), isError: true };
      else {
        const out = await ports.runTool(call, capBytes, Math.max(0, setup.deadline - clock.now()), workSignal);
        ports.onProgress?.({ requests: request, loopTokens: meter.loopTokens, costUsd: meter.costUsd, step: out.step });
        tools.push({ request, name: out.name, durationMs: out.durationMs, resultBytes: out.resultBytes, isError: out.isError });
        outcome = out;
      }
      content.push(result(call.id, outcome.text, outcome.isError));
      texts.push(outcome.text);
    }
    return { content, texts };
  }
}

function outputConfig(model: ModelSpec, effort: Effort | undefined, budget: number) {
  const config: { effort?: Effort; task_budget?: { type: 'tokens'; total: number } } = {};
  if (effort) config.effort = effort;
  // Set once, never a decremented `remaining`: the full history is re-sent, and a changing value breaks the cache.
  if (model.taskBudget) config.task_budget = { type: 'tokens', total: budget };
  return Object.keys(config).length > 0 ? { output_config: config } : {};
}

function limitDetail(cause: ClosingCause, limits: CapLimits): string {
  if (cause === 'cost') return `The run reached its cost cap of ${formatUsd(limits.maxCostUsd ?? 0)}.`;
  if (cause === 'timeout') return 'The run reached its time limit (`timeout-minutes`).';
  return `The run used its budget of ${formatInt(limits.budget)} loop tokens.`;
}
