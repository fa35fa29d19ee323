import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { bash, strReplace, text, thinking, view } from '../../test/sim/anthropic.mjs';
import { issuesLabeled } from '../../test/sim/payloads.mjs';
import { createWorld } from '../../test/sim/world.mjs';
import { expectedFigures } from './expect-usage.js';

const SAMPLE = path.resolve('demo/sample-repo');
type World = Awaited<ReturnType<typeof createWorld>>;

const FIX = [".replace(/[^a-z0-9]+/g, '-');", ".replace(/[^a-z0-9]+/g, '-')\n    .replace(/^-+|-+$/g, '');"] as const;
const NEW_TEST = "test('trims dashes at both ends', () => {\n  assert.equal(slugify('  Hello, World!  '), 'hello-world');\n});\n";

/** A scripted fix: look, edit, add a test and run the tests in one response (two tool calls), summarise. */
const fixScript = [
  { content: [thinking('The issue says slugify leaves dashes at the ends. Read it first.'), view('src/slugify.js')] },
  { content: [bash('npm test 2>&1 | tail -n 5')] },
  { content: [strReplace('src/slugify.js', FIX[0], FIX[1])] },
  {
    content: [
      text('Adding a regression test and running the suite.'),
      strReplace('test/slugify.test.js', "test('drops accents'", `${NEW_TEST}\ntest('drops accents'`),
      bash('npm test 2>&1 | tail -n 8'),
    ],
  },
  { content: [text('Trimmed leading and trailing dashes in `slugify` and added a regression test; `npm test` passes.')] },
];

describe('spine: agent:fix label → patch PR + receipt', () => {
  let world: World;
  let result: Awaited<ReturnType<World['run']>>;

  beforeAll(async () => {
    world = await createWorld({
      fixtureDir: SAMPLE,
      github: { issues: [{ number: 1, title: 'slugify leaves dashes at the ends', body: 'slugify("Hello, World!") gives "hello-world-".', labels: ['agent:fix'], user: 'acme' }] },
      anthropic: { script: (_req: unknown, i: number) => fixScript[i] ?? { content: [text('done')] } },
    });
    result = await world.run({
      eventName: 'issues',
      payload: issuesLabeled({ owner: 'acme', repo: 'slugkit', number: 1, title: 'slugify leaves dashes at the ends', label: 'agent:fix', sender: 'acme' }),
    });
    if (process.env.DEBUG_E2E) console.log(result.stdout, result.stderr);
  }, 120_000);
  afterAll(() => world?.close());

  it('ends completed, with every output set', () => {
    expect(result.exitCode).toBe(0);
    expect(result.outputs.status).toBe('completed');
    expect(result.outputs['budget-class']).toBe('fix');
    expect(result.outputs.budget).toBe('50000');
    expect(result.outputs.branch).toBe('taskcap/issue-1');
    expect(result.outputs.turns).toBe('5');
    for (const name of ['pr-number', 'pr-url', 'comment-url', 'cost-usd', 'loop-tokens']) expect(result.outputs[name]).not.toBe('');
  });

  it('sends the task-budget beta and a fixed task budget on every request, with exactly the two client tools', () => {
    const requests = world.anthropic!.requests;
    expect(requests).toHaveLength(5);
    for (const r of requests) {
      expect(r.betas).toContain('task-budgets-2026-03-13');
      const body = r.body as { output_config: unknown; tools: unknown; stream: boolean };
      expect(body.output_config).toEqual({ effort: 'high', task_budget: { type: 'tokens', total: 50_000 } });
      expect(body.tools).toEqual([
        { type: 'bash_20250124', name: 'bash' },
        { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10_000 },
      ]);
      expect(body.stream).toBe(true);
    }
  });

  it('answers both tool calls of one response in one message, executed in the checkout', () => {
    const last = world.anthropic!.requests[4].body as { messages: { role: string; content: { type: string; content?: string }[] }[] };
    const reply = last.messages[last.messages.length - 1];
    expect(reply.role).toBe('user');
    const results = reply.content.filter((b) => b.type === 'tool_result');
    expect(results).toHaveLength(2);
    expect(results[1].content).toMatch(/pass 3/);
    const first = world.anthropic!.requests[1].body as typeof last;
    expect(JSON.stringify(first.messages[2])).toContain('     6\\texport function slugify(title) {');
  });

  it('pushes the fix on taskcap/issue-1 as github-actions[bot]', async () => {
    const source = await world.originGit(['show', 'refs/heads/taskcap/issue-1:src/slugify.js']);
    expect(source.stdout).toContain(".replace(/^-+|-+$/g, '');");
    const tests = await world.originGit(['show', 'refs/heads/taskcap/issue-1:test/slugify.test.js']);
    expect(tests.stdout).toContain('trims dashes at both ends');
    const author = await world.originGit(['log', '-1', '--format=%an <%ae>', 'refs/heads/taskcap/issue-1']);
    expect(author.stdout.trim()).toBe('github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>');
  });

  it('opens one PR against the default branch that says Fixes #1 and carries the summary', () => {
    const pulls = world.github.state.pulls;
    expect(pulls).toHaveLength(1);
    const pr = pulls[0];
    expect(pr.head).toBe('taskcap/issue-1');
    expect(pr.base).toBe('main');
    expect(pr.draft).toBe(false);
    expect(pr.body).toMatch(/^Fixes #1\n/);
    expect(pr.body).toContain('Trimmed leading and trailing dashes');
  });

  it('posts one receipt whose figures equal the sums of the usage the API reported', () => {
    const expected = expectedFigures(world.anthropic!.billed);
    const receipts = world.github.state.comments.filter((c) => c.body.includes('<!-- taskcap:receipt -->'));
    expect(receipts).toHaveLength(1);
    const body = receipts[0].body;
    const fmt = (n: number) => n.toLocaleString('en-US');
    expect(body).toContain(`${fmt(expected.loop)} / 50,000 loop tokens`);
    expect(body).toContain(`| Input (uncached) | ${fmt(expected.input)} |`);
    expect(body).toContain(`| Cache writes | ${fmt(expected.write)} |`);
    expect(body).toContain(`| Cache reads | ${fmt(expected.read)} |`);
    expect(body).toMatch(new RegExp(`\\| Output[^|]* \\| ${fmt(expected.output)} \\|`));
    expect(body).toContain(`**$${expected.cost.toFixed(4)}**`);
    expect(body).toContain('`claude-opus-4-7`');
    expect(body).toContain(result.outputs['pr-url']);
    expect(result.outputs['pr-url']).toMatch(/\/acme\/slugkit\/pull\/\d+$/);
    expect(Number(result.outputs['loop-tokens'])).toBe(expected.loop);
    expect(Number(result.outputs['input-tokens'])).toBe(expected.input);
    expect(Number(result.outputs['cache-write-tokens'])).toBe(expected.write);
    expect(Number(result.outputs['cache-read-tokens'])).toBe(expected.read);
    expect(Number(result.outputs['output-tokens'])).toBe(expected.output);
    expect(Math.abs(Number(result.outputs['cost-usd']) - expected.cost)).toBeLessThan(0.0001);
    expect(expected.read).toBeGreaterThan(0);
  });

  it('writes a job summary with the receipt', () => {
    expect(result.summary).toContain('loop tokens');
  });

  it('made every GitHub request and response valid against the OpenAPI description', () => {
    expect(world.github.violations).toEqual([]);
  });
});

describe('spine: events that are not taskcap work', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ fixtureDir: SAMPLE, anthropic: { script: () => ({ content: [text('should never be called')] }) } });
  }, 60_000);
  afterAll(() => world?.close());

  it('skips another label with a one-line reason, no model call and no GitHub write', async () => {
    const r = await world.run({ eventName: 'issues', payload: issuesLabeled({ owner: 'acme', repo: 'slugkit', number: 7, label: 'bug', sender: 'acme' }) });
    expect(r.exitCode).toBe(0);
    expect(r.outputs.status).toBe('skipped');
    expect(r.stdout).toMatch(/Skipped: label 'bug' on issue #7 is not a taskcap label/);
    expect(world.anthropic!.requests).toHaveLength(0);
    expect(world.github.writes()).toHaveLength(0);
  });

  it('ends a garbled payload with a clear error, no model call and no write', async () => {
    const garbledPath = path.join(world.root, 'garbled-event.json');
    fs.writeFileSync(garbledPath, '{"action": "labeled", "issue": ');
    const r = await world.run({ eventName: 'issues', payload: {}, env: { GITHUB_EVENT_PATH: garbledPath } });
    expect([r.exitCode, r.outputs.status]).toEqual([1, 'failed']);
    expect(r.stdout).toMatch(/::error::The event payload '.*garbled-event.json' \(GITHUB_EVENT_PATH\) is not valid JSON/);
    expect(world.anthropic!.requests).toHaveLength(0);
    expect(world.github.writes()).toHaveLength(0);
  });

  it('ends a missing payload file with a clear error', async () => {
    const r = await world.run({ eventName: 'issues', payload: {}, env: { GITHUB_EVENT_PATH: '/nonexistent/event.json' } });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/::error::The event payload '\/nonexistent\/event.json' \(GITHUB_EVENT_PATH\) cannot be read/);
    expect(world.anthropic!.requests).toHaveLength(0);
    expect(world.github.writes()).toHaveLength(0);
  });
});

describe("GitHub's request spacing", () => {
  let world: World | undefined;
  afterEach(async () => {
    if (world) expect(world.github.violations).toEqual([]);
    await world?.close();
    world = undefined;
  });

  /**
   * The mean gap between the content writes (new comments, PRs, edits) of one run, in ms. (Octokit spaces the
   * starts of writes; one arrival can come early when the one before it was slow to arrive, so single gaps vary.)
   */
  async function meanWriteGap(env: Record<string, string | undefined>): Promise<number> {
    world = await createWorld({
      fixtureDir: SAMPLE,
      github: { issues: [{ number: 1, title: 'slugify leaves dashes at the ends', body: 'Fix it.', labels: ['agent:fix'], user: 'acme' }] },
      anthropic: { script: (_req: unknown, i: number) => fixScript[i] ?? { content: [text('done')] } },
    });
    const r = await world.run({ tier: 'bundle', eventName: 'issues', payload: issuesLabeled({ owner: 'acme', repo: 'slugkit', number: 1, label: 'agent:fix', sender: 'acme' }), env });
    expect(r.outputs.status).toBe('completed');
    const writes = world.github.writes().filter((c) => c.method === 'POST' || c.method === 'PATCH');
    expect(writes.length).toBeGreaterThanOrEqual(3);
    return (writes[writes.length - 1].at - writes[0].at) / (writes.length - 1);
  }

  // Only the production default is asserted: a timing bound on the switched-off case would be a benchmark.
  it('is on in production (no switch set): content writes are a second apart on average', async () => {
    expect(await meanWriteGap({ TASKCAP_GITHUB_THROTTLE: undefined })).toBeGreaterThanOrEqual(900);
  }, 60_000);

});
