/**
 * The guarantees every provider must keep, run through the bundle against that platform's fake (its wire protocol
 * and its sign-in): the sample fix end to end, the cap at the budget, the cost cap, a retried 429/529, and a
 * feature the platform refuses. Receipts and outputs must equal the usage the fake reported.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { bash, create, strReplace, text, thinking, view, type Reply } from '../../test/sim/anthropic.mjs';
import { issuesLabeled } from '../../test/sim/payloads.mjs';
import type { ProviderFakeOptions } from '../../test/sim/providers.mjs';
import { createWorld } from '../../test/sim/world.mjs';
import { expectedFigures, OPUS_47 } from './expect-usage.js';

export const SAMPLE = path.resolve('demo/sample-repo');
type World = Awaited<ReturnType<typeof createWorld>>;
type RunResult = Awaited<ReturnType<World['run']>>;
export type Req = { body: { model: string; messages: { role: string; content: unknown }[]; output_config?: Record<string, unknown>; cache_control?: unknown }; betas: string[]; path: string; headers: Record<string, unknown>; response: { status: number | null } };

const CLOSING = 'no further tool calls will run';
const isClosing = (req: Req) => JSON.stringify(req.body.messages[req.body.messages.length - 1]?.content ?? '').includes(CLOSING);
/** Keyed on the conversation, so a retried request gets the same reply. */
const turn = (req: Req) => req.body.messages.filter((m) => m.role === 'assistant').length;

const FIX = [".replace(/[^a-z0-9]+/g, '-');", ".replace(/[^a-z0-9]+/g, '-')\n    .replace(/^-+|-+$/g, '');"] as const;
const NEW_TEST = "test('trims dashes at both ends', () => {\n  assert.equal(slugify('  Hello, World!  '), 'hello-world');\n});\n";

/** The spine's sample fix: read, run the tests, edit, add a test and run again, summarise. */
export const FIX_SCRIPT: Reply[] = [
  { content: [thinking('The issue says slugify leaves dashes at the ends. Read it first.'), view('src/slugify.js')] },
  { content: [bash('npm test 2>&1 | tail -n 5')] },
  { content: [strReplace('src/slugify.js', FIX[0], FIX[1])] },
  { content: [text('Adding a regression test.'), strReplace('test/slugify.test.js', "test('drops accents'", `${NEW_TEST}\ntest('drops accents'`), bash('npm test 2>&1 | tail -n 8')] },
  { content: [text('Trimmed leading and trailing dashes in `slugify` and added a regression test; `npm test` passes.')] },
];
export const fixScript = (req: Req) => FIX_SCRIPT[turn(req)] ?? { content: [text('done')] };

/** A model that never stops: thinks a lot, writes a file, runs a command, every turn. */
export const endless = (req: Req) =>
  isClosing(req)
    ? { content: [text('Partial: notes written; the option parsing is still missing.')] }
    : {
        content: [
          thinking(`Step ${turn(req)}: ${'considering the design carefully. '.repeat(700)}`),
          create(`notes/step-${turn(req)}.md`, `# Step ${turn(req)}\n${'- detail\n'.repeat(40)}`),
          bash('ls notes | wc -l'),
        ],
      };

export interface ProviderCase {
  /** The fake to reach Claude through (test/sim/providers.mjs). */
  kind: 'keyless' | 'bedrock' | 'mantle' | 'vertex' | 'foundry' | 'foundry-entra' | 'bedrock-api-key';
  /** How the receipt names the platform. */
  label: string;
  /** The `provider` the run record names. */
  provider: 'anthropic' | 'bedrock' | 'vertex' | 'foundry';
  /** The model input of the runs, and the id the platform must receive. */
  model?: string;
  sentModel: string;
  /** The transient refusal the platform sends (a bare 429 on clouds, a 529 or a 429 with retry-after elsewhere). */
  transient: { status: number; type: string; message: string; headers?: Record<string, string> };
  /** Extra checks of the platform's wire format and sign-in on the happy run. */
  wire(world: World, requests: Req[], run: RunResult): void;
  /** Features the platform is made to refuse in the fallback case. */
  refuse: NonNullable<ProviderFakeOptions['refuse']>;
}

const labeled = (n: number, title = 'slugify leaves dashes at the ends') => issuesLabeled({ owner: 'acme', repo: 'slugkit', number: n, title, label: 'agent:fix', sender: 'acme' });
const receiptOf = (w: World, n: number) => w.github.state.comments.find((c) => c.issueNumber === n && c.body.includes('<!-- taskcap:receipt -->'))?.body ?? '';
const fmt = (x: number) => x.toLocaleString('en-US');

/** The receipt and the outputs say exactly what the fake billed. */
export function expectFiguresMatch(w: World, r: RunResult, n: number) {
  const expected = expectedFigures(w.anthropic!.billed, OPUS_47);
  const body = receiptOf(w, n);
  expect(body).toContain(`${fmt(expected.loop)} / 50,000 loop tokens`);
  expect(body).toContain(`| Input (uncached) | ${fmt(expected.input)} |`);
  expect(body).toContain(`| Cache reads | ${fmt(expected.read)} |`);
  expect(body).toMatch(new RegExp(`\\| Output[^|]* \\| ${fmt(expected.output)} \\|`));
  expect(body).toContain(`**$${expected.cost.toFixed(4)}**`);
  expect(Number(r.outputs['loop-tokens'])).toBe(expected.loop);
  expect(Number(r.outputs['input-tokens'])).toBe(expected.input);
  expect(Number(r.outputs['cache-write-tokens'])).toBe(expected.write);
  expect(Number(r.outputs['cache-read-tokens'])).toBe(expected.read);
  expect(Number(r.outputs['output-tokens'])).toBe(expected.output);
  expect(Math.abs(Number(r.outputs['cost-usd']) - expected.cost)).toBeLessThan(1e-4);
  return expected;
}

export function providerSuite(c: ProviderCase) {
  let world: World | undefined;
  afterEach(async () => {
    if (world) expect(world.github.violations).toEqual([]);
    await world?.close();
    world = undefined;
  });
  const setup = async (script: (req: Req) => unknown, providerOptions: ProviderFakeOptions = {}) =>
    (world = await createWorld({
      fixtureDir: SAMPLE,
      github: { issues: [{ number: 1, title: 'slugify leaves dashes at the ends', body: 'slugify("Hello, World!") gives "hello-world-".', labels: ['agent:fix'], user: 'acme' }] },
      anthropic: { script: script as never },
      provider: c.kind,
      providerOptions,
    }));
  const run = (w: World, inputs: Record<string, string> = {}) => {
    const r = w.run({ eventName: 'issues', payload: labeled(1), inputs: { ...(c.model ? { model: c.model } : {}), ...inputs } });
    return r.then((x) => {
      if (process.env.DEBUG_E2E) console.log(x.stdout, x.stderr);
      return x;
    });
  };
  const requestsOf = (w: World) => w.anthropic!.requests as unknown as Req[];

  describe(`${c.label}: the sample fix end to end`, () => {
    it('signs in the platform\'s way, opens the PR, and posts a receipt equal to the usage the platform reported', async () => {
      const w = await setup(fixScript);
      const r = await run(w);
      expect([r.exitCode, r.outputs.status]).toEqual([0, 'completed']);
      const requests = requestsOf(w);
      expect(requests).toHaveLength(5);
      for (const q of requests) {
        expect(q.body.model).toBe(c.sentModel);
        expect(q.response.status).toBe(200);
      }
      expect(w.provider!.signIns.length).toBeGreaterThan(0);
      expect(w.provider!.signIns.filter((s) => !s.ok)).toEqual([]);
      c.wire(w, requests, r);
      const source = await w.originGit(['show', 'refs/heads/taskcap/issue-1:src/slugify.js']);
      expect(source.stdout).toContain(".replace(/^-+|-+$/g, '');");
      expect(w.github.state.pulls).toHaveLength(1);
      expect(w.github.state.pulls[0].body).toMatch(/^Fixes #1\n/);
      const expected = expectFiguresMatch(w, r, 1);
      expect(expected.read).toBeGreaterThan(0);
      const receipt = receiptOf(w, 1);
      expect(receipt).toContain(`\`${c.sentModel}\` · via ${c.label}`);
      expect(r.stdout).toMatch(new RegExp(`Claude: ${c.label === 'the Claude API' ? 'the Claude API' : c.label}`));
      const record = JSON.parse(fs.readFileSync(r.outputs['run-record'], 'utf8'));
      expect([record.provider, record.model, record.switchedOff]).toEqual([c.provider, c.sentModel, []]);
      // The credential files of the platform's sign-in are back where the setup step left them.
      expect(fs.readdirSync(r.workspace).filter((f) => f.startsWith('gha-creds-')).length).toBe(c.kind === 'vertex' ? 1 : 0);
    }, 120_000);
  });

  // The caps are the same code on every platform: `npm test` proves them on Bedrock (InvokeModel, the most different
  // wire), the complete suite on each.
  const describeCaps = process.env.TASKCAP_SUITE === 'complete' || c.kind === 'bedrock' ? describe : describe.skip;
  describeCaps(`${c.label}: the caps`, () => {
    it('stops an endless model at the budget and delivers the partial work', async () => {
      const w = await setup(endless);
      const r = await run(w);
      expect(r.outputs.status).toBe('budget-exhausted');
      const expected = expectFiguresMatch(w, r, 1);
      expect(expected.loop).toBeLessThanOrEqual(50_000);
      expect(expected.loop).toBeGreaterThan(40_000);
      expect(isClosing(requestsOf(w).at(-1)!)).toBe(true);
      expect(w.github.state.pulls[0].draft).toBe(true);
      expect(receiptOf(w, 1)).toMatch(/⏸ Stopped at the token budget/);
    }, 120_000);

    it('holds max-cost-usd: no request is sent that could cross it', async () => {
      const w = await setup(endless);
      const r = await run(w, { 'max-cost-usd': '0.40' });
      expect(r.outputs.status).toBe('budget-exhausted');
      const expected = expectFiguresMatch(w, r, 1);
      expect(expected.cost).toBeLessThanOrEqual(0.4);
      expect(expected.cost).toBeGreaterThan(0.3);
      expect(receiptOf(w, 1)).toMatch(/The run reached its cost cap of \$0\.4000 after spending \$0\.\d{4}: its next step could have cost up to/);
    }, 120_000);
  });

  describe(`${c.label}: failures`, () => {
    it(`retries a ${c.transient.status} and meters only what was billed`, async () => {
      let refusedOnce = 0;
      const w = await setup((req) => {
        if (turn(req) === 1 && refusedOnce++ === 0) return { error: c.transient };
        return fixScript(req);
      });
      const r = await run(w);
      expect([r.exitCode, r.outputs.status]).toEqual([0, 'completed']);
      const statuses = requestsOf(w).map((q) => q.response.status);
      expect(statuses).toEqual([200, c.transient.status, 200, 200, 200, 200]);
      expect(r.stdout).toMatch(new RegExp(`Request 2 attempt 1 failed: .*${c.transient.status}.*; retrying in`));
      expect(r.outputs.turns).toBe('5');
      expectFiguresMatch(w, r, 1);
    }, 120_000);

    it(`switches off what ${c.label} refuses (${c.refuse.join(', ')}), re-sends, and keeps the same hard cap with the countdown in the tool results`, async () => {
      const w = await setup(endless, { refuse: c.refuse });
      const r = await run(w);
      expect(r.outputs.status).toBe('budget-exhausted');
      const requests = requestsOf(w);
      // One 400 per refused feature, then never again.
      const refusals = requests.filter((q) => q.response.status === 400);
      expect(refusals.length).toBe(c.refuse.length);
      expect(requests.slice(0, c.refuse.length).every((q) => q.response.status === 400)).toBe(true);
      for (const q of requests.slice(c.refuse.length)) {
        expect(q.response.status).toBe(200);
        if (c.refuse.includes('task-budget')) {
          expect(q.betas).not.toContain('task-budgets-2026-03-13');
          expect(q.body.output_config?.task_budget).toBeUndefined();
        }
        if (c.refuse.includes('cache-control')) expect(q.body.cache_control).toBeUndefined();
        if (c.refuse.includes('effort')) expect(q.body.output_config?.effort).toBeUndefined();
      }
      // The cap holds without the platform's task budget, and the model was told what is left.
      const expected = expectFiguresMatch(w, r, 1);
      expect(expected.loop).toBeLessThanOrEqual(50_000);
      const notes = JSON.stringify(requests.at(-1)!.body.messages).match(/\[taskcap budget\][^"]*/g) ?? [];
      expect(notes.some((n) => /Keep the work focused/.test(n))).toBe(true);
      if (c.refuse.includes('cache-control')) {
        // The explicit breakpoints still cache: once a prompt is long enough to be written, every later one reads it.
        const billed = w.anthropic!.billed;
        const firstWrite = billed.findIndex((b) => b.cache_creation_input_tokens > 0);
        expect(firstWrite).toBeGreaterThanOrEqual(0);
        expect(billed.slice(firstWrite + 1).every((b) => b.cache_read_input_tokens > 0)).toBe(true);
      }
      const receipt = receiptOf(w, 1);
      if (c.refuse.includes('task-budget')) expect(receipt).toContain(`${c.label} does not take the task budget here: the budget countdown comes in the tool results instead (the hard cap is unchanged).`);
      expect(r.stdout).toMatch(new RegExp(`${c.label} refused the task budget|${c.label} refused`));
      const record = JSON.parse(fs.readFileSync(r.outputs['run-record'], 'utf8'));
      expect(record.switchedOff).toEqual(expect.arrayContaining(c.refuse));
    }, 120_000);
  });
}
