// The loop in-process, with a scripted model port: one case per stop reason and per way a request can fail. The
// model port is the seam (the real SDK against the simulator is covered by the e2e and property tiers); here each
// case says what the model answers and checks what the loop did next.
import { describe, expect, it } from '@jest/globals';
import type { BetaContentBlock, BetaMessage, BetaMessageParam } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { runLoop, type LoopSetup } from '../../src/agent/loop.js';
import { ModelFailure, type ModelCall, type ModelPort, type ModelResponse } from '../../src/agent/model.js';
import { closingReserve } from '../../src/budget/preflight.js';
import { BUILT_IN_MODELS } from '../../src/config/models.js';
import type { Clock } from '../../src/ports.js';
import type { ToolCall, ToolOutcome } from '../../src/tools/toolbox.js';
import { recordingLog } from '../../test/support/logs.js';

const OPUS = BUILT_IN_MODELS.get('claude-opus-4-7')!;

type Answer = { stop: BetaMessage['stop_reason']; blocks?: BetaContentBlock[]; usage?: Partial<Usage> } | ModelFailure;
type Usage = { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number };

const textBlock = (text: string) => ({ type: 'text', text, citations: null }) as BetaContentBlock;
const toolUse = (id: string, command: string) => ({ type: 'tool_use', id, name: 'bash', input: { command } }) as BetaContentBlock;

/** A model that answers from a script, keeps every call, and reports a plausible, growing usage. */
function scriptedModel(answers: Answer[]): ModelPort & { calls: ModelCall[] } {
  const calls: ModelCall[] = [];
  let prompt = 2_000;
  return {
    calls,
    async send(call): Promise<ModelResponse> {
      calls.push(structuredClone(call));
      const answer = answers.shift() ?? { stop: 'end_turn', blocks: [textBlock('done')] };
      if (answer instanceof ModelFailure) throw answer;
      // A model cannot write past max_tokens: a longer answer is cut there.
      const wanted = answer.usage?.output_tokens ?? 100;
      const output = Math.min(wanted, call.params.max_tokens);
      const stop = wanted > output ? 'max_tokens' : answer.stop;
      const usage = { input_tokens: 10, cache_creation_input_tokens: prompt - 10, cache_read_input_tokens: 0, ...answer.usage, output_tokens: output };
      prompt += output + 50;
      const message = { id: `msg_${calls.length}`, type: 'message', role: 'assistant', model: OPUS.id, content: answer.blocks ?? [], stop_reason: stop, stop_sequence: null, usage } as unknown as BetaMessage;
      return { message, requestId: `req_${calls.length}` };
    },
  };
}

/** A clock that never waits: retries and deadlines are instant, the time moves only when a test moves it. */
function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  return { now: () => now, sleep: async (ms) => void (now += ms), advance: (ms) => void (now += ms) };
}

const ranTool = (call: ToolCall): ToolOutcome => ({ text: `ran ${String((call.input as { command?: string }).command)}`, isError: false, name: call.name, step: 'x', changedFiles: false, durationMs: 1, resultBytes: 10 });

function setupFor(over: Partial<LoopSetup> = {}, clock = fakeClock()): LoopSetup {
  const budget = over.limits?.budget ?? 50_000;
  return {
    model: OPUS,
    effort: 'high',
    limits: { budget, reserve: closingReserve(budget), pricing: OPUS.pricing, maxOutputTokens: OPUS.maxOutputTokens },
    system: 'system',
    firstMessage: 'Fix the bug.',
    deadline: clock.now() + 30 * 60_000,
    closingGraceMs: 60_000,
    toolResultBytes: 10_000,
    retry: { maxAttempts: 3, maxWaitMs: 1_000, baseDelayMs: 10 },
    ...over,
  };
}

async function loop(answers: Answer[], over: Partial<LoopSetup> = {}, opts: { clock?: ReturnType<typeof fakeClock>; cancel?: AbortController; onTool?: (call: ToolCall) => void } = {}) {
  const clock = opts.clock ?? fakeClock();
  const model = scriptedModel(answers);
  const log = recordingLog();
  const tools: ToolCall[] = [];
  const outcome = await runLoop(setupFor(over, clock), {
    model,
    runTool: async (call) => {
      tools.push(call);
      opts.onTool?.(call);
      return ranTool(call);
    },
    clock,
    log,
    cancel: (opts.cancel ?? new AbortController()).signal,
  });
  return { outcome, model, log, tools };
}

const lastUserText = (call: ModelCall): string => {
  const last = call.params.messages[call.params.messages.length - 1] as BetaMessageParam;
  return JSON.stringify(last.content);
};

describe('runLoop, next step by stop reason', () => {
  it('end_turn: completed with the model text as the summary, after one request', async () => {
    const { outcome, model } = await loop([{ stop: 'end_turn', blocks: [textBlock('Fixed it.')] }]);
    expect(outcome).toMatchObject({ endReason: 'completed', summary: 'Fixed it.', closingTurn: 'none' });
    expect(model.calls).toHaveLength(1);
    expect(outcome.requests).toHaveLength(1);
  });

  it('tool_use: every call of one response runs in order, and the answers go back in one user message', async () => {
    const { outcome, model, tools } = await loop([{ stop: 'tool_use', blocks: [toolUse('a', 'ls'), toolUse('b', 'cat x')] }, { stop: 'end_turn', blocks: [textBlock('ok')] }]);
    expect(tools.map((t) => t.id)).toEqual(['a', 'b']);
    expect(outcome.endReason).toBe('completed');
    const second = model.calls[1].params.messages;
    expect(second.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    const blocks = second[2].content as { type: string; tool_use_id?: string; content?: string; text?: string }[];
    expect(blocks.filter((b) => b.type === 'tool_result').map((b) => [b.tool_use_id, b.content])).toEqual([
      ['a', 'ran ls'],
      ['b', 'ran cat x'],
    ]);
    // The countdown rides in the same message, after the results (a separate user message would start a new turn).
    expect(blocks.map((b) => b.type)).toEqual(['tool_result', 'tool_result', 'text']);
    expect(blocks[2].text).toMatch(/^\[taskcap budget\] [\d,]+ of 50,000 tokens used/);
  });

  it('max_tokens below the model ceiling: the clamp ended it, so the calls are answered "not run" and the closing turn asks for a summary', async () => {
    const budget = 20_000;
    const { outcome, model, tools } = await loop(
      [{ stop: 'max_tokens', blocks: [toolUse('a', 'ls')] }, { stop: 'end_turn', blocks: [textBlock('Summary.')] }],
      { limits: { budget, reserve: closingReserve(budget), pricing: OPUS.pricing, maxOutputTokens: OPUS.maxOutputTokens } },
    );
    expect(tools).toHaveLength(0);
    expect(outcome).toMatchObject({ endReason: 'budget', closingTurn: 'sent', summary: 'Summary.' });
    expect(lastUserText(model.calls[1])).toContain('not run: budget exhausted');
    expect(lastUserText(model.calls[1])).toContain('no further tool calls will run');
  });

  it('max_tokens at the model ceiling without calls: completed; with calls: answered "cut off, issue it again" and the work goes on', async () => {
    const tiny = { ...OPUS, maxOutputTokens: 1_500 };
    const done = await loop([{ stop: 'max_tokens', blocks: [textBlock('long answer')] }], { model: tiny, limits: { budget: 50_000, reserve: 1_500, pricing: OPUS.pricing, maxOutputTokens: 1_500 } });
    expect(done.outcome).toMatchObject({ endReason: 'completed', summary: 'long answer' });
    const cut = await loop([{ stop: 'max_tokens', blocks: [toolUse('a', 'ls')] }, { stop: 'end_turn', blocks: [textBlock('ok')] }], {
      model: tiny,
      limits: { budget: 50_000, reserve: 1_500, pricing: OPUS.pricing, maxOutputTokens: 1_500 },
    });
    expect(cut.tools).toHaveLength(0);
    expect(lastUserText(cut.model.calls[1])).toContain('cut off at the output limit');
    expect(cut.outcome.endReason).toBe('completed');
  });

  it('refusal: ends at once, failed for the receipt, with the category', async () => {
    const refused = { stop: 'refusal' as const, blocks: [textBlock('I cannot help with that.')] };
    const m = scriptedModel([refused]);
    const orig = m.send.bind(m);
    m.send = async (call, o) => {
      const r = await orig(call, o);
      Object.assign(r.message, { stop_details: { category: 'cyber', explanation: null } });
      return r;
    };
    const clock = fakeClock();
    const outcome = await runLoop(setupFor({}, clock), { model: m, runTool: async (c) => ranTool(c), clock, log: recordingLog(), cancel: new AbortController().signal });
    expect(outcome).toMatchObject({ endReason: 'refusal', detail: 'Claude declined to continue (category: cyber).', refusal: { category: 'cyber' } });
  });

  it('model_context_window_exceeded: ends with its own reason', async () => {
    const { outcome } = await loop([{ stop: 'model_context_window_exceeded', blocks: [textBlock('partial')] }]);
    expect(outcome).toMatchObject({ endReason: 'context-window', summary: 'partial' });
  });

  it('pause_turn: the conversation is sent back as is, and the continuation joins the same assistant message', async () => {
    const { outcome, model } = await loop([{ stop: 'pause_turn', blocks: [textBlock('thinking…')] }, { stop: 'end_turn', blocks: [textBlock('done after pause')] }, { stop: 'end_turn' }]);
    expect(outcome).toMatchObject({ endReason: 'completed', summary: 'done after pause' });
    expect(model.calls[1].params.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(model.calls).toHaveLength(2);
  });
});

describe('runLoop, limits and failures', () => {
  it('the budget runs out while working: the calls of the last response are not run, and the closing turn asks for the summary', async () => {
    const budget = 20_000;
    const big = { output_tokens: 16_000 };
    const { outcome, tools, log } = await loop(
      [{ stop: 'tool_use', blocks: [toolUse('a', 'ls')], usage: big }, { stop: 'tool_use', blocks: [toolUse('b', 'ls')], usage: big }, { stop: 'end_turn', blocks: [textBlock('Closing summary.')] }],
      { limits: { budget, reserve: closingReserve(budget), pricing: OPUS.pricing, maxOutputTokens: OPUS.maxOutputTokens } },
    );
    expect(outcome.endReason).toBe('budget');
    expect(outcome.closingTurn).toBe('sent');
    expect(outcome.meter.loopTokens).toBeLessThanOrEqual(budget);
    expect(tools.length).toBeLessThanOrEqual(1);
    expect(log.lines.some((l) => l.includes('Closing turn: budget reached'))).toBe(true);
  });

  it('a cost cap too small for the first request: nothing is sent', async () => {
    const { outcome, model } = await loop([], { limits: { budget: 50_000, reserve: 1_500, maxCostUsd: 0.001, pricing: OPUS.pricing, maxOutputTokens: OPUS.maxOutputTokens } });
    expect(model.calls).toHaveLength(0);
    expect(outcome).toMatchObject({ endReason: 'cost', closingTurn: 'none', costStop: { started: false, capUsd: 0.001 } });
    // The receipt's sentence names the smallest cap that lets the run start, and that cap is one a first request fits.
    expect(outcome.detail).toMatch(/^Not even the first request fits under the cost cap of \$0\.0010: its [\d,]+-token prompt, room to write and a closing summary need at least \$0\.\d\d00\. Nothing was done\.$/);
    const start = outcome.costStop!.smallestCapUsd!;
    const again = await loop([], { limits: { budget: 50_000, reserve: 1_500, maxCostUsd: start, pricing: OPUS.pricing, maxOutputTokens: OPUS.maxOutputTokens } });
    expect(again.model.calls).toHaveLength(1);
  });

  it('a transient failure is retried and every attempt recorded; a fatal one ends the run as an API error', async () => {
    const retried = await loop([new ModelFailure('overloaded', 'transient'), { stop: 'end_turn', blocks: [textBlock('ok')] }]);
    expect(retried.outcome.endReason).toBe('completed');
    expect(retried.outcome.requests.map((r) => [r.index, r.attempt, r.error ?? null])).toEqual([
      [0, 1, 'overloaded'],
      [0, 2, null],
    ]);
    const fatal = await loop([new ModelFailure('bad request', 'fatal')]);
    expect(fatal.outcome).toMatchObject({ endReason: 'api-error', detail: 'The model request failed: bad request' });
    expect(fatal.model.calls).toHaveLength(1);
  });

  it('cancellation stops before the next request, without a closing turn', async () => {
    const cancel = new AbortController();
    const { outcome, model } = await loop([{ stop: 'tool_use', blocks: [toolUse('a', 'ls')] }, { stop: 'end_turn' }], {}, { cancel, onTool: () => cancel.abort() });
    expect(outcome).toMatchObject({ endReason: 'cancelled', closingTurn: 'none', detail: 'The workflow run was cancelled.' });
    expect(model.calls).toHaveLength(1);
  });

  it('the deadline passes during a tool call: the closing turn says time is up', async () => {
    const clock = fakeClock();
    const { outcome, model } = await loop([{ stop: 'tool_use', blocks: [toolUse('a', 'sleep')] }, { stop: 'end_turn', blocks: [textBlock('Out of time summary.')] }], {}, { clock, onTool: () => clock.advance(31 * 60_000) });
    expect(outcome).toMatchObject({ endReason: 'timeout', closingTurn: 'sent', summary: 'Out of time summary.' });
    expect(lastUserText(model.calls[1])).toContain('time limit for this run is reached');
  });

  it('a failed attempt that spent what a retry would need: the run closes instead of retrying', async () => {
    const budget = 20_000;
    const spent = new ModelFailure('stream broke', 'transient', { partialUsage: { input_tokens: 10, output_tokens: 17_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } });
    const { outcome, model } = await loop(
      [{ stop: 'tool_use', blocks: [toolUse('a', 'ls')] }, spent, { stop: 'end_turn', blocks: [textBlock('Closing.')] }],
      { limits: { budget, reserve: closingReserve(budget), pricing: OPUS.pricing, maxOutputTokens: OPUS.maxOutputTokens } },
    );
    expect(outcome.meter.committedTokens).toBeLessThanOrEqual(budget);
    expect(['budget', 'cost']).toContain(outcome.endReason);
    expect(model.calls.length).toBeLessThanOrEqual(3);
  });
});
