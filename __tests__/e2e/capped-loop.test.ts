import { afterEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { bash, create, strReplace, text, thinking } from '../../test/sim/anthropic.mjs';
import { issuesLabeled } from '../../test/sim/payloads.mjs';
import { createWorld } from '../../test/sim/world.mjs';
import { expectedFigures } from './expect-usage.js';

const SAMPLE = path.resolve('demo/sample-repo');
type World = Awaited<ReturnType<typeof createWorld>>;
type Req = { body: { messages: { role: string; content: unknown }[] } };

const CLOSING = 'no further tool calls will run';

const isClosing = (req: Req) => JSON.stringify(req.body.messages[req.body.messages.length - 1]?.content ?? '').includes(CLOSING);

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function setup(script: (req: Req, i: number) => object, anthropic: Record<string, unknown> = {}) {
  world = await createWorld({
    fixtureDir: SAMPLE,
    github: { issues: [{ number: 3, title: 'Make slugify configurable', body: 'Add options.', labels: ['agent:fix'], user: 'acme' }] },
    anthropic: { script: script as never, ...anthropic },
  });
  return world;
}

const labeled = () => issuesLabeled({ owner: 'acme', repo: 'slugkit', number: 3, title: 'Make slugify configurable', label: 'agent:fix', sender: 'acme' });
const receiptOf = (w: World) => w.github.state.comments.find((c) => c.body.includes('<!-- taskcap:receipt -->'))?.body ?? '';

/** A model that never stops: every response thinks a lot, edits a file and runs a command. */
const endless = (req: Req, i: number) =>
  isClosing(req)
    ? { content: [text('Partial: added notes/step-*.md files; the option parsing is still missing (needs ~30k more tokens).')] }
    : {
        content: [
          thinking(`Step ${i}: ${'considering the design carefully. '.repeat(700)}`),
          create(`notes/step-${i}.md`, `# Step ${i}\n${'- detail\n'.repeat(40)}`),
          bash('ls notes | wc -l'),
        ],
      };

describe('the hard cap', () => {
  it('stops an endless model at the budget, with a closing summary, and delivers its partial work as a draft PR', async () => {
    const w = await setup(endless);
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    const expected = expectedFigures(w.anthropic!.billed);
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(r.exitCode).toBe(0);
    expect(expected.loop).toBeLessThanOrEqual(50_000);
    expect(expected.loop).toBeGreaterThan(40_000); // the budget was used, not abandoned early
    expect(Number(r.outputs['loop-tokens'])).toBe(expected.loop);
    // The last request was the closing turn: the reserve paid for a summary, and its tools never ran.
    const requests = w.anthropic!.requests as Req[];
    expect(isClosing(requests[requests.length - 1])).toBe(true);
    const pr = w.github.state.pulls[0];
    expect(pr.draft).toBe(true);
    expect(pr.body).toContain('Partial: added notes/step-*.md files');
    expect(pr.body).toContain('## ⏸ Partial work');
    const files = await w.originGit(['ls-tree', '--name-only', 'refs/heads/taskcap/issue-3', 'notes/']);
    expect(files.stdout.trim().split('\n').length).toBeGreaterThan(2);
    expect(receiptOf(w)).toMatch(/⏸ Stopped at the token budget · partial work in draft PR/);
    expect(receiptOf(w)).toContain('The run used its budget of 50,000 loop tokens.');
    expect(w.github.violations).toEqual([]);
  }, 120_000);

  it('tells the model how much is left inside the tool-result message, never in a bare user message', async () => {
    const w = await setup(endless);
    await w.run({ eventName: 'issues', payload: labeled() });
    const notes: string[] = [];
    for (const req of w.anthropic!.requests as Req[]) {
      for (const m of req.body.messages.filter((x) => x.role === 'user').slice(1)) {
        const blocks = m.content as { type: string; text?: string }[];
        const withNotes = blocks.filter((b) => b.type === 'text' && b.text!.startsWith('[taskcap budget]'));
        // Notes ride along with tool results; only the closing request after a response cut with no tool call
        // stands alone (its max_tokens is clamped to the reserve, so the API's fresh turn budget cannot be spent).
        if (withNotes.length) expect(blocks[0].type).toBe('tool_result');
        else if (blocks[0].type !== 'tool_result') expect(JSON.stringify(blocks)).toContain(CLOSING);
        notes.push(...withNotes.map((b) => b.text!));
      }
    }
    const distinct = [...new Set(notes)];
    expect(distinct.some((n) => /Keep the work focused/.test(n))).toBe(true);
    expect(distinct.some((n) => /Finish: make sure the change is complete and tests pass/.test(n))).toBe(true);
  }, 120_000);

  it('holds the cost cap: no request is sent that could cross max-cost-usd', async () => {
    const w = await setup(endless);
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { 'max-cost-usd': '0.40' } });
    const expected = expectedFigures(w.anthropic!.billed);
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(expected.cost).toBeLessThanOrEqual(0.4);
    expect(Math.abs(Number(r.outputs['cost-usd']) - expected.cost)).toBeLessThan(1e-6);
    expect(receiptOf(w)).toMatch(/The run reached its cost cap of \$0\.4000 after spending \$0\.\d{4}: its next step could have cost up to/);
  }, 120_000);

  it('runs a model without task-budget support with no beta and no task_budget, and the same hard cap', async () => {
    const w = await setup(endless);
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { model: 'claude-sonnet-4-6' } });
    for (const req of w.anthropic!.requests as (Req & { betas: string[]; body: { output_config?: Record<string, unknown> } })[]) {
      expect(req.betas).not.toContain('task-budgets-2026-03-13');
      expect(req.body.output_config).toEqual({ effort: 'high' });
    }
    const expected = expectedFigures(w.anthropic!.billed, { input: 3, write5m: 3.75, read: 0.3, output: 15 });
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(expected.loop).toBeLessThanOrEqual(50_000);
    expect(Math.abs(Number(r.outputs['cost-usd']) - expected.cost)).toBeLessThan(1e-6);
  }, 120_000);

  it('sends no effort to a model that does not take it (Haiku 4.5)', async () => {
    const w = await setup(() => ({ content: [text('Nothing to change.')] }));
    await w.run({ eventName: 'issues', payload: labeled(), inputs: { model: 'claude-haiku-4-5' } });
    const body = (w.anthropic!.requests[0] as { body: Record<string, unknown> }).body;
    expect(body.output_config).toBeUndefined();
    expect(body.thinking).toBeUndefined();
  }, 60_000);

  it('reads re-sent input from cache from the second request on', async () => {
    const w = await setup((req, i) => (i < 6 ? { content: [bash(`echo step ${i}; cat README.md`)] } : { content: [text('Done.')] }), { cacheMinTokens: 1024 });
    await w.run({ eventName: 'issues', payload: labeled() });
    const billed = w.anthropic!.billed;
    for (const b of billed.slice(1)) expect(b.cache_read_input_tokens).toBeGreaterThan(0);
    const resent = billed.slice(1).reduce((a, b) => a + b.cache_read_input_tokens, 0);
    const prompt = billed.slice(1).reduce((a, b) => a + b.input_tokens + b.cache_creation_input_tokens + b.cache_read_input_tokens, 0);
    expect(resent / prompt).toBeGreaterThan(0.8);
  }, 60_000);

  it('fails before any request when the model has no price table', async () => {
    const w = await setup(() => ({ content: [text('x')] }));
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { model: 'claude-imaginary-9' } });
    expect(r.outputs.status).toBe('failed');
    expect(r.stdout).toMatch(/::error::Model 'claude-imaginary-9' \(the workflow's 'model' input\) is not a model taskcap knows .* add its prices \(USD per million tokens\) to the config file/);
    expect(w.anthropic!.requests).toHaveLength(0);
    // The one write answers the labeler: the model setting needs a maintainer.
    expect(w.github.writes().map((c) => c.operationId)).toEqual(['issues/create-comment']);
  }, 60_000);
});

describe('faults and retries', () => {
  const fix = [
    { content: [strReplace('src/slugify.js', ".replace(/[^a-z0-9]+/g, '-');", ".replace(/[^a-z0-9]+/g, '-')\n    .replace(/^-+|-+$/g, '');")] },
    { content: [text('Trimmed the dashes.')] },
  ];

  it('retries a 529 and bills only what the API reported', async () => {
    const w = await setup((_r, i) => (i === 0 ? { error: { status: 529, type: 'overloaded_error', message: 'Overloaded', headers: { 'retry-after': '0' } } } : fix[i - 1] ?? fix[1]));
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect(r.outputs.status).toBe('completed');
    expect(w.anthropic!.requests).toHaveLength(3);
    expect(w.anthropic!.billed).toHaveLength(2);
    expect(r.stdout).toMatch(/Request 1 attempt 1 failed: the Anthropic API answered 529: Overloaded \(req_sim_0\); retrying/);
    const expected = expectedFigures(w.anthropic!.billed);
    expect(Number(r.outputs['loop-tokens'])).toBe(expected.loop);
    expect(Math.abs(Number(r.outputs['cost-usd']) - expected.cost)).toBeLessThan(1e-6);
    expect(r.outputs.turns).toBe('2');
  }, 60_000);

  it('stops on a 429 without retry-after (a spend limit) with a message that names it, and does not retry', async () => {
    const w = await setup(() => ({ error: { status: 429, type: 'rate_limit_error', message: 'You have reached your specified workspace API usage limits.' } }));
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect(w.anthropic!.requests).toHaveLength(1);
    expect(r.outputs.status).toBe('failed');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/spend limit \(429/);
    expect(receiptOf(w)).toMatch(/❌ Failed/);
  }, 60_000);

  it('retries a stream that fails mid-way and meters what the failed attempt reported', async () => {
    const w = await setup((_r, i) =>
      i === 0 ? { content: [thinking('partial thoughts')], streamError: { afterBlocks: 1, type: 'overloaded_error', message: 'Overloaded' } } : fix[i - 1] ?? fix[1],
    );
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect(r.outputs.status).toBe('completed');
    expect(w.anthropic!.billed).toHaveLength(3);
    expect(w.anthropic!.billed[0].complete).toBe(false);
    const expected = expectedFigures(w.anthropic!.billed);
    expect(Number(r.outputs['loop-tokens'])).toBe(expected.loop);
    expect(Number(r.outputs['input-tokens'])).toBe(expected.input);
  }, 60_000);

  it('retries a dropped connection', async () => {
    const w = await setup((_r, i) => (i === 0 ? { drop: { afterBlocks: 0 } } : fix[i - 1] ?? fix[1]));
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect(r.outputs.status).toBe('completed');
    expect(r.stdout).toMatch(/retrying/);
  }, 60_000);

  it('waits out a 429 that names its retry-after, then continues', async () => {
    const w = await setup((_r, i) =>
      i === 0 ? { error: { status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '1' } } } : fix[i - 1] ?? fix[1],
    );
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect(r.outputs.status).toBe('completed');
    expect(r.stdout).toMatch(/rate limited \(429\): Rate limited \(req_sim_0\); retrying in 1\.0 s/);
  }, 60_000);

  it('continues a paused turn by sending the conversation back', async () => {
    const w = await setup((_r, i) => (i === 0 ? { content: [text('Working on it…')], stop_reason: 'pause_turn' } : fix[i - 1] ?? fix[1]));
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect(r.outputs.status).toBe('completed');
    const second = (w.anthropic!.requests[1] as Req).body.messages;
    expect(second[second.length - 1].role).toBe('assistant');
  }, 60_000);

  it('ends on a full context window and still delivers the work as a draft', async () => {
    const w = await setup((_r, i) => (i === 0 ? fix[0] : { content: [text('…')], stop_reason: 'model_context_window_exceeded' }));
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect(r.outputs.status).toBe('failed');
    expect(receiptOf(w)).toContain("The conversation filled the model's context window.");
    expect(w.github.state.pulls[0]?.draft).toBe(true);
  }, 60_000);

  it('does not retry a 400 and says why', async () => {
    const w = await setup(() => ({ error: { status: 400, type: 'invalid_request_error', message: 'prompt is too long' } }));
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect(w.anthropic!.requests).toHaveLength(1);
    expect(r.outputs.status).toBe('failed');
    expect(r.stdout).toMatch(/rejected the request \(400\): prompt is too long/);
  }, 60_000);

  it('reports a refusal with its category and delivers what was done as a draft', async () => {
    const w = await setup((_r, i) =>
      i === 0 ? fix[0] : { content: [text('I cannot help with that.')], stop_reason: 'refusal', stop_details: { type: 'refusal', category: 'cyber', explanation: 'x' } },
    );
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect(r.outputs.status).toBe('failed');
    expect(receiptOf(w)).toContain('Claude declined to continue (category: cyber).');
    expect(w.github.state.pulls[0]?.draft).toBe(true);
  }, 60_000);
});

describe('wall clock and cancellation', () => {
  const working = (req: Req, i: number) =>
    isClosing(req)
      ? { content: [text('Stopped early: one file written, the rest is pending.')] }
      : i < 2
        ? { content: [create(`notes/early-${i}.md`, 'early work\n')] }
        : { hang: true };

  it('timeout-minutes aborts the stream in flight, runs the closing turn and delivers a draft PR', async () => {
    const w = await setup(working);
    const started = Date.now();
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { 'timeout-minutes': '0.08' } });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(receiptOf(w)).toContain('The run reached its time limit');
    const pr = w.github.state.pulls[0];
    expect(pr.draft).toBe(true);
    expect(pr.body).toContain('Stopped early: one file written');
    expect((await w.originGit(['ls-tree', '--name-only', 'refs/heads/taskcap/issue-3', 'notes/'])).stdout).toContain('notes/early-1.md');
  }, 60_000);

  it('SIGTERM (a cancelled workflow) stops within seconds and still pushes the work', async () => {
    const w = await setup(working);
    // A real signal to a real process: the bundle.
    const r = await w.run({ eventName: 'issues', payload: labeled(), signalAfterMs: 4000, signal: 'SIGTERM', tier: 'bundle' });
    expect(r.durationMs).toBeLessThan(12_000);
    expect(r.stdout).toMatch(/Received SIGTERM: stopping the loop/);
    expect(r.outputs.status).toBe('failed');
    expect(w.github.state.pulls[0]?.draft).toBe(true);
    expect((await w.originGit(['ls-tree', '--name-only', 'refs/heads/taskcap/issue-3', 'notes/'])).stdout).toContain('notes/early-0.md');
    expect(receiptOf(w)).toContain('The workflow run was cancelled.');
  }, 60_000);
});

describe('the test command', () => {
  it('runs after the loop, outside the budget, and a failure makes the PR a draft', async () => {
    const w = await setup((_r, i) => (i === 0 ? { content: [strReplace('src/slugify.js', "'-');", "'_');")] } : { content: [text('Switched to underscores.')] }));
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { 'test-command': 'npm test' } });
    expect(r.outputs.status).toBe('completed');
    const pr = w.github.state.pulls[0];
    expect(pr.draft).toBe(true);
    expect(pr.body).toMatch(/## Tests ❌/);
    expect(pr.body).toMatch(/`npm test` failed \(exit 1\)/);
    expect(receiptOf(w)).toMatch(/tests ❌ `npm test`/);
  }, 60_000);
});
