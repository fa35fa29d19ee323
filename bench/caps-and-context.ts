/**
 * Benchmarks of what the repository context and the cost cap do to a run's bill (issue 13):
 * - cost-cap utilization on a long session (billed ÷ max-cost-usd when the cap stops it), with and without cache
 *   misses (every cache entry evicted before some requests), and the cap's hardness under those misses;
 * - the smallest max-cost-usd that lets the sample fix complete, against what the fix costs uncapped;
 * - the repository context's size in request 1;
 * - request 1 and the whole bill of the 20-request session, per cache minimum (Opus 4.7: 2,048; Opus 4.6: 4,096,
 *   at the same prices), against the session's perfect-cache floor;
 * - how many token-counting calls a run makes.
 * Each function runs the action (the bundle, as the runner does) against the simulators.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bash, measureRequest, text, thinking, view } from '../test/sim/anthropic.mjs';
import { issuesLabeled } from '../test/sim/payloads.mjs';
import { countTokens } from '../test/sim/tokens.mjs';
import { createWorld } from '../test/sim/world.mjs';
import { scriptedFixReply } from '../demo/scripted-fix.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SAMPLE = path.join(ROOT, 'demo/sample-repo');
/** Opus 4.7 and Opus 4.6 list prices (the same), USD per million tokens. */
const OPUS = { input: 5, write: 6.25, read: 0.5, output: 25 };
const ISSUE = { number: 1, title: 'slugify leaves a dash at the end of titles with punctuation', body: '`slugify("Hello, World!")` returns `"hello-world-"`; it should return `"hello-world"`.' };
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

type Billed = { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number };
type Req = { body: { messages: { role: string; content: unknown }[] } };
type World = Awaited<ReturnType<typeof createWorld>>;

const costOf = (b: Billed) => (b.input_tokens * OPUS.input + b.cache_creation_input_tokens * OPUS.write + b.cache_read_input_tokens * OPUS.read + b.output_tokens * OPUS.output) / 1e6;
const isClosing = (req: Req) => JSON.stringify(req.body.messages[req.body.messages.length - 1]?.content ?? '').includes('no further tool calls will run');

/**
 * A README the size real projects have (about 6 KB): what a repository usually offers to fill the stable prefix with.
 * Written for the benchmark; it describes the sample library.
 */
function projectReadme(): string {
  const sections = ['Install', 'Usage', 'Options', 'Slug rules', 'Unicode', 'Legacy links', 'Testing', 'Releasing', 'Contributing', 'License'];
  const lines = ['# slugkit', '', 'Tiny helpers for URL slugs: `slugify(title)` turns a title into a lowercase, dash-separated slug.', ''];
  for (const [n, s] of sections.entries()) {
    lines.push(`## ${s}`, '');
    for (let k = 0; k < 6; k++) lines.push(`- ${s} note ${k + 1}: slugify keeps rule ${n * 6 + k} in mind when it collapses separators and drops accents.`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The sample repository plus a 300-line module: enough to read for many steps; with a project-sized README or not. */
export function mediumRepo(readme = false): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-medium-'));
  fs.cpSync(SAMPLE, dir, { recursive: true });
  if (readme) fs.writeFileSync(path.join(dir, 'README.md'), projectReadme());
  const lines = ['// Catalog of slug rules used by the site generator.', 'export const rules = ['];
  for (let i = 0; i < 300; i++) lines.push(`  { id: ${i}, pattern: /item-${i}-[a-z]+/u, replacement: 'entry-${i}', note: 'rule ${i} keeps legacy links working' },`);
  lines.push('];', '');
  fs.writeFileSync(path.join(dir, 'src/catalog.js'), lines.join('\n'));
  return dir;
}

const labeled = (labels = ['agent:fix']) =>
  issuesLabeled({ owner: 'acme', repo: 'slugkit', number: 1, title: ISSUE.title, body: ISSUE.body, label: 'agent:fix', labels, sender: 'acme' });

/**
 * A model that never finishes on its own: each step thinks a few hundred tokens and reads 20–40 lines of the
 * catalog or greps it, the way a long investigation goes. Asked for a summary, it writes one.
 */
function endlessInvestigation() {
  return (req: Req, i: number) => {
    if (isClosing(req)) return { content: [text(`Read the catalog up to rule ${i * 7 % 300}; the slug rules interact with rule ordering. Left: the rest of the audit.`)] };
    const reasoning = thinking(`Step ${i}. ${'Checking how the slug rules interact with each other. '.repeat(8 + ((i * 7) % 17))}`);
    const from = 1 + ((i * 37) % 260);
    return i % 3 === 2
      ? { content: [reasoning, bash(`grep -n "entry-${i % 10}" src/catalog.js | head -n 12`)] }
      : { content: [reasoning, view('src/catalog.js', [from, from + 20 + (i % 20)])] };
  };
}

/**
 * A model that never finishes and works in many small steps: a short thought and a command with a one-line answer.
 * The prompt grows slowly, so reading it back is most of the bill.
 */
function endlessSmallSteps() {
  return (req: Req, i: number) => {
    if (isClosing(req)) return { content: [text(`Counted the uses of ${i} rules; the rest of the audit is left.`)] };
    return { content: [thinking(`Next rule ${i}. ${'Check it. '.repeat(6)}`), bash(`grep -c "entry-${i % 300}'" src/catalog.js`)] };
  };
}

export type SessionShape = 'investigation' | 'small-steps';

/**
 * The long session at one cost cap: billed ÷ cap when the cap stops it. `evictEvery`: every cache entry is evicted
 * before every n-th request (a prefix gone before the request that expected it), so those requests pay for their
 * whole prompt as cache writes; the cap must still hold.
 */
export async function longSession(capUsd: number, evictEvery = 0, shape: SessionShape = 'investigation') {
  const repo = mediumRepo();
  const script = shape === 'investigation' ? endlessInvestigation() : endlessSmallSteps();
  let world: World | undefined;
  world = await createWorld({
    fixtureDir: repo,
    // A budget far above the built-in ceiling (250,000), so that only the cost cap can end the session.
    files: { '.github/taskcap.yml': 'max-budget: 2000k\n' },
    github: { issues: [{ ...ISSUE, labels: ['agent:fix', 'budget:2000k'], user: 'acme' }] },
    anthropic: {
      script: ((req: Req, i: number) => {
        if (evictEvery > 0 && i > 0 && i % evictEvery === 0) world!.anthropic!.clearCache();
        return script(req, i);
      }) as never,
    },
  });
  try {
    const r = await world.run({ eventName: 'issues', payload: labeled(['agent:fix', 'budget:2000k']), inputs: { 'max-cost-usd': String(capUsd) } });
    const billed = world.anthropic!.billed as Billed[];
    const cost = billed.reduce((a, b) => a + costOf(b), 0);
    const requests = world.anthropic!.requests as Req[];
    const last = billed[billed.length - 1];
    const closing = requests.length > 0 && isClosing(requests[requests.length - 1]) ? closingThinkingCost(requests[requests.length - 1], last) : undefined;
    return {
      shape,
      capUsd,
      evictEvery,
      status: r.outputs.status,
      requests: billed.length,
      billedUsd: round(cost, 6),
      utilization: round(cost / capUsd),
      overshootUsd: round(Math.max(0, cost - capUsd), 6),
      lastPromptTokens: last ? last.input_tokens + last.cache_creation_input_tokens + last.cache_read_input_tokens : 0,
      // What a hard cap can use at most: all but the last request's possible cache-miss surcharge (1.25× − 0.1×).
      ceiling: last ? round(1 - ((last.input_tokens + last.cache_creation_input_tokens + last.cache_read_input_tokens) * (OPUS.write - OPUS.read)) / 1e6 / capUsd) : 1,
      closingSummary: requests.length > 0 && isClosing(requests[requests.length - 1]),
      closingThinking: closing,
      countCalls: world.anthropic!.countRequests.length,
    };
  } finally {
    await world.close();
    fs.rmSync(repo, { recursive: true, force: true });
  }
}

/**
 * What turning thinking off for the closing turn would cost: the thinking setting is part of the messages' cache
 * key, so the whole conversation would be written again (at 1.25×) instead of read (at 0.1×); only tools + system
 * could still be read, and only when they reach the cache minimum (2,048 tokens on Opus 4.7) on their own.
 */
function closingThinkingCost(req: Req, bill: Billed) {
  const prompt = bill.input_tokens + bill.cache_creation_input_tokens + bill.cache_read_input_tokens;
  const stable = measureRequest({ ...(req.body as object), messages: [] } as never).totalTokens;
  const stableRead = stable >= 2048;
  const keptUsd = costOf(bill);
  const offUsd = ((stableRead ? stable * OPUS.read : stable * OPUS.write) + (prompt - stable) * OPUS.write + bill.output_tokens * OPUS.output) / 1e6;
  return { promptTokens: prompt, keptUsd: round(keptUsd, 6), thinkingOffUsd: round(offUsd, 6), extraUsd: round(offUsd - keptUsd, 6) };
}

/** One run of the sample fix (the demo's five scripted moves) under `capUsd` (none: uncapped). */
async function sampleFix(capUsd?: number) {
  const world = await createWorld({ fixtureDir: SAMPLE, github: { issues: [{ ...ISSUE, labels: ['agent:fix'], user: 'acme' }] }, anthropic: { script: scriptedFixReply as never } });
  try {
    const r = await world.run({ eventName: 'issues', payload: labeled(), inputs: capUsd === undefined ? {} : { 'max-cost-usd': String(capUsd) } });
    const billed = world.anthropic!.billed as Billed[];
    return { status: r.outputs.status, costUsd: billed.reduce((a, b) => a + costOf(b), 0), requests: billed.length, countCalls: world.anthropic!.countRequests.length, receipt: world.github.state.comments.find((c) => c.body.includes('<!-- taskcap:receipt -->'))?.body ?? '' };
  } finally {
    await world.close();
  }
}

/** The smallest max-cost-usd (to the tenth of a cent) under which the sample fix still completes, by bisection. */
export async function smallestCapForSampleFix() {
  const free = await sampleFix();
  if (free.status !== 'completed') throw new Error(`the sample fix ended ${free.status} without a cap`);
  let lo = 0.001; // does not complete
  let hi = Math.ceil(free.costUsd * 10 * 1000) / 1000; // completes (checked below)
  if ((await sampleFix(hi)).status !== 'completed') throw new Error(`the sample fix does not complete under $${hi}`);
  let runs = 2;
  while (hi - lo > 0.0011) {
    const mid = Math.round(((lo + hi) / 2) * 1000) / 1000;
    const r = await sampleFix(mid);
    runs++;
    if (r.status === 'completed') hi = mid;
    else lo = mid;
  }
  return { fixCostUsd: round(free.costUsd, 6), fixRequests: free.requests, smallestCapUsd: hi, ratio: round(hi / free.costUsd, 3), countCallsUncapped: free.countCalls, bisectionRuns: runs };
}

/** What the smallest cap that cannot start a run says on its receipt (the first request does not fit). */
export async function tooSmallCapReceipt(capUsd = 0.002) {
  const r = await sampleFix(capUsd);
  const said = r.receipt.split('\n').filter((l) => /max-cost-usd|first request/i.test(l));
  return { capUsd, status: r.status, requests: r.requests, said };
}

/** The repository context in request 1: its block's bytes and (simulator) tokens; 0 when there is none. */
export function contextOf(body: { messages: { content: unknown }[] }): { bytes: number; tokens: number } {
  const first = body.messages[0]?.content;
  if (!Array.isArray(first) || first.length < 2) return { bytes: 0, tokens: 0 };
  const block = first[0] as { type: string; text?: string };
  if (block.type !== 'text' || !block.text) return { bytes: 0, tokens: 0 };
  return { bytes: Buffer.byteLength(block.text), tokens: countTokens(block.text) };
}

/**
 * A 20-request scripted fix shaped like a real one: reads in ranges, searches, edits, tests, with a few hundred
 * tokens of thinking per step. The model side is scripted; every tool call is executed by the action.
 */
export function twentyTurnScript() {
  const think = (n: number) => thinking(`Considering the next step carefully. ${'The catalog rules and the slug function interact. '.repeat(n)}`);
  const steps: unknown[][] = [
    [think(8), view('src/slugify.js')],
    [think(6), bash('grep -rn "slugify" --include=*.js . | head -n 20')],
    [think(10), view('src/catalog.js', [1, 100])],
    [think(6), view('src/catalog.js', [100, 200])],
    [think(6), view('src/catalog.js', [200, 302])],
    [think(12), bash('node --test 2>&1 | tail -n 20')],
    [think(4), view('test/slugify.test.js')],
    [think(10), { type: 'tool_use', name: 'str_replace_based_edit_tool', input: { command: 'str_replace', path: 'src/slugify.js', old_str: ".replace(/[^a-z0-9]+/g, '-');", new_str: ".replace(/[^a-z0-9]+/g, '-')\n    .replace(/^-+|-+$/g, '');" } }],
    [think(4), bash('node -e "import(\'./src/slugify.js\').then(m => console.log(m.slugify(\'Hello, World!\')))"')],
    [think(8), bash('grep -n "replacement" src/catalog.js | head -n 60')],
    [think(10), { type: 'tool_use', name: 'str_replace_based_edit_tool', input: { command: 'str_replace', path: 'test/slugify.test.js', old_str: "test('drops accents'", new_str: "test('trims dashes', () => {\n  assert.equal(slugify('-a-'), 'a');\n});\n\ntest('drops accents'" } }],
    [think(6), bash('node --test 2>&1 | tail -n 20')],
    [think(4), bash('git diff')],
    [think(6), view('src/catalog.js', [120, 180])],
    [think(4), bash('git status --short')],
    [think(6), bash('wc -l src/*.js test/*.js')],
    [think(8), bash('node --test 2>&1 | grep -E "^# (pass|fail)"')],
    [think(4), view('src/slugify.js')],
    [think(4), bash('git diff --stat')],
  ];
  return (_req: unknown, i: number) =>
    i < steps.length ? { content: steps[i] } : { content: [text('Trimmed the dashes and added a test; all tests pass. The catalog needed no change.')] };
}

/**
 * The 20-request session on one model: request 1 (tokens by category and cost) and the whole bill against the
 * perfect-cache floor (every re-sent token read from cache, every new token written once, output as billed).
 */
export async function session20(model: string, readme = false) {
  const repo = mediumRepo(readme);
  const world = await createWorld({ fixtureDir: repo, github: { issues: [{ ...ISSUE, labels: ['agent:fix'], user: 'acme' }] }, anthropic: { script: twentyTurnScript() as never } });
  try {
    const r = await world.run({ eventName: 'issues', payload: labeled(), inputs: { model } });
    const billed = world.anthropic!.billed as Billed[];
    const T = billed.map((b) => b.input_tokens + b.cache_creation_input_tokens + b.cache_read_input_tokens);
    let floor = (T[0] * OPUS.write + billed[0].output_tokens * OPUS.output) / 1e6;
    let resent = 0;
    let read = 0;
    for (let k = 1; k < billed.length; k++) {
      const again = Math.min(T[k], T[k - 1] + billed[k - 1].output_tokens);
      resent += again;
      read += billed[k].cache_read_input_tokens;
      floor += (again * OPUS.read + (T[k] - again) * OPUS.write + billed[k].output_tokens * OPUS.output) / 1e6;
    }
    const cost = billed.reduce((a, b) => a + costOf(b), 0);
    const first = billed[0];
    const uncachedRequests = billed.filter((b) => b.cache_creation_input_tokens + b.cache_read_input_tokens === 0).length;
    return {
      model,
      readme,
      status: r.outputs.status,
      requests: billed.length,
      request1: { prompt: T[0], input: first.input_tokens, cacheWrite: first.cache_creation_input_tokens, cacheRead: first.cache_read_input_tokens, costUsd: round(costOf(first), 6) },
      context: contextOf((world.anthropic!.requests[0] as Req & { body: { messages: { content: unknown }[] } }).body),
      uncachedRequests,
      costUsd: round(cost, 6),
      floorUsd: round(floor, 6),
      costOverFloor: round(cost / floor),
      cacheShare: round(read / Math.max(1, resent)),
      countCalls: world.anthropic!.countRequests.length,
    };
  } finally {
    await world.close();
    fs.rmSync(repo, { recursive: true, force: true });
  }
}

/** Everything above, for `npm run bench` (or `--only=caps`). */
export async function capsAndContext(quick: boolean) {
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  log('20-request session per cache minimum …');
  const sessions = [];
  for (const readme of [false, true]) sessions.push(await session20('claude-opus-4-7', readme), await session20('claude-opus-4-6', readme));
  log('cost-cap utilization, long sessions …');
  const caps = quick ? [0.5] : [0.5, 2];
  const utilization = [];
  for (const shape of ['investigation', 'small-steps'] as const) {
    for (const cap of caps) utilization.push(await longSession(cap, 0, shape), await longSession(cap, 4, shape));
  }
  log('smallest max-cost-usd for the sample fix …');
  const smallest = await smallestCapForSampleFix();
  const tooSmall = await tooSmallCapReceipt();
  return { sessions, utilization, smallest, tooSmall };
}
