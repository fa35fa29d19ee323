// max-cost-usd at its edges, end to end against the simulated API and its token counting: a small fix under a small
// cap, a cap that binds mid-run (also when the cache misses), counting that fails or is slow (the byte bound takes
// over, the cap stays hard), and a cap below the first request (the receipt names the smallest cap that starts).
import { describe, expect, it } from '@jest/globals';
import { bash, create, strReplace, text, thinking } from '../../test/sim/anthropic.mjs';
import { issuesLabeled } from '../../test/sim/payloads.mjs';
import { expectedFigures } from './expect-usage.js';
import { REPO, SAMPLE, SMOKE, useWorld, type World } from './world-fixture.js';

type Req = { body: { messages: { role: string; content: unknown }[] } };
const CLOSING = 'no further tool calls will run';
const isClosing = (req: Req) => JSON.stringify(req.body.messages[req.body.messages.length - 1]?.content ?? '').includes(CLOSING);

/** The sample's bug, fixed in one edit; then Claude's own summary. */
const smallFix = (req: Req) =>
  req.body.messages.length === 1
    ? { content: [strReplace('src/slugify.js', ".replace(/[^a-z0-9]+/g, '-');", ".replace(/[^a-z0-9]+/g, '-')\n    .replace(/^-+|-+$/g, '');")] }
    : { content: [text('Trimmed the dashes at both ends of the slug.')] };

/** A model that never finishes on its own; asked for a summary, it writes one. */
const endless = (req: Req) =>
  isClosing(req)
    ? { content: [text('Partial: notes/step-*.md written; the option parsing is still missing.')] }
    : { content: [thinking('Weighing the design. '.repeat(120)), create(`notes/step-${req.body.messages.length}.md`, '- detail\n'.repeat(40)), bash('ls notes | wc -l')] };

/** `world.current` is set once the world exists, for scripts that reach into the simulator (cache eviction). */
type Ref = { current?: World };
const setup = useWorld((o: { script: (req: Req, i: number) => object; countScript?: (req: unknown, i: number) => object | undefined; evictEvery?: number; ref?: Ref }) => ({
  fixtureDir: SAMPLE,
  github: { issues: [{ number: 3, title: 'Trim slug dashes', body: '`slugify("Hello, World!")` ends with a dash.', labels: ['agent:fix'], user: 'acme' }] },
  anthropic: {
    script: ((req: Req, i: number) => {
      // Every cache entry evicted before every n-th request: those requests pay their whole prompt as writes.
      if (o.evictEvery && i > 0 && i % o.evictEvery === 0) o.ref?.current?.anthropic?.clearCache();
      return o.script(req, i);
    }) as never,
    countScript: o.countScript as never,
  },
}));

async function run(w: World, cap: string) {
  const r = await w.run({ eventName: 'issues', payload: issuesLabeled({ ...REPO, number: 3, title: 'Trim slug dashes', label: 'agent:fix', sender: 'acme' }), inputs: { 'max-cost-usd': cap } });
  const figures = expectedFigures(w.anthropic!.billed);
  const receipt = w.github.state.comments.find((c) => c.body.includes('<!-- taskcap:receipt -->'))?.body ?? '';
  return { r, figures, receipt, cost: Number(r.outputs['cost-usd']) };
}

describe('max-cost-usd at its edges', () => {
  it('$0.05: a small fix completes (its first request fits once counted exactly), with Claude\'s own summary', async () => {
    const w = await setup({ script: smallFix });
    const { r, figures, cost } = await run(w, '0.05');
    expect(r.outputs.status).toBe('completed');
    expect(figures.cost).toBeLessThanOrEqual(0.05);
    expect(Math.abs(cost - figures.cost)).toBeLessThan(1e-6);
    // The byte bound alone would not let the first request go: the exact count did.
    expect(w.anthropic!.countRequests.length).toBeGreaterThan(0);
    expect(w.github.state.pulls[0]).toMatchObject({ draft: false });
    expect(w.github.state.pulls[0].body).toContain('Trimmed the dashes at both ends of the slug.');
  }, 90_000);

  it('$0.05 without counting: the byte bound cannot prove the first request fits, so nothing is sent', async () => {
    const w = await setup({ script: smallFix, countScript: () => ({ error: { status: 500, type: 'api_error', message: 'down' } }) });
    const { r } = await run(w, '0.05');
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(w.anthropic!.requests).toHaveLength(0);
  }, 90_000);

  it('a cap that binds mid-run: no request could cross it, Claude summarizes, and the receipt says what it would take', async () => {
    const w = await setup({ script: endless });
    const { r, figures, receipt } = await run(w, '0.40');
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(figures.cost).toBeLessThanOrEqual(0.4);
    // The money went to work: at most one request's cache-miss cost (and a summary's room) is left unused.
    expect(figures.cost).toBeGreaterThan(0.3);
    const requests = w.anthropic!.requests as unknown as Req[];
    expect(isClosing(requests[requests.length - 1])).toBe(true);
    expect(w.github.state.pulls[0].body).toContain('Partial: notes/step-*.md written');
    expect(receipt).toMatch(/The run reached its cost cap of \$0\.4000 after spending \$0\.[0-9]{4}: its next step could have cost up to \$0\.[0-9]{4} \(a [\d,]+-token prompt if the cache missed, and room to write\)\./);
    expect(receipt).toContain('**To finish:** raise `max-cost-usd` and re-run to continue from the branch');
    expect(receipt).not.toContain('summary written by taskcap');
  }, 120_000);

  it('stays hard when the cache misses: evicted prefixes are paid as writes within the cap', async () => {
    const ref: Ref = {};
    const w = (ref.current = await setup({ script: endless, evictEvery: 2, ref }));
    const { r, figures } = await run(w, '0.40');
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(w.anthropic!.billed.filter((b) => b.index > 0 && b.cache_read_input_tokens === 0).length).toBeGreaterThan(0);
    expect(figures.cost).toBeLessThanOrEqual(0.4);
  }, 120_000);

  it('counting down: the byte bound takes over, the cap holds, and the receipt says counting failed', async () => {
    const w = await setup({ script: endless, countScript: () => ({ error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } }) });
    const { r, figures, receipt } = await run(w, '0.40');
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(figures.cost).toBeLessThanOrEqual(0.4);
    expect(r.stdout).toMatch(/Token counting failed \(the Anthropic API answered 529: Overloaded\); planning with byte bounds for the rest of the run \(the caps stay hard\)\./);
    // One failed count, then no more asking.
    expect(w.anthropic!.countRequests).toHaveLength(1);
    expect(receipt).toContain('Exact token counts near the caps: 1 (1 failed; byte bounds after that).');
  }, 120_000);

  it('counting slow: after a few seconds taskcap plans with the byte bound instead of waiting, and the small fix still fits a roomier cap', async () => {
    const w = await setup({ script: smallFix, countScript: () => ({ delayMs: 20_000 }) });
    const started = Date.now();
    const { r, figures } = await run(w, '0.15');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.outputs.status).toBe('completed');
    expect(figures.cost).toBeLessThanOrEqual(0.15);
    expect(r.stdout).toMatch(/Token counting failed \(no answer within 3 s\); planning with byte bounds/);
  }, 90_000);

  it('a cap below the first request: nothing is sent, and the receipt names the smallest cap that lets the run start', async () => {
    const w = await setup({ script: smallFix });
    const { r, receipt } = await run(w, '0.01');
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(w.anthropic!.requests).toHaveLength(0);
    expect(receipt).toMatch(/Not even the first request fits under the cost cap of \$0\.0100: its [\d,]+-token prompt, room to write and a closing summary need at least \$0\.0\d00\. Nothing was done\./);
    const smallest = /\*\*To start:\*\* set `max-cost-usd` to at least \$(0\.\d{4})/.exec(receipt)![1];
    expect(receipt).not.toMatch(/re-run to continue/);
    // And that cap does let it start (and, for this fix, finish).
    const again = await run(w, smallest);
    expect(w.anthropic!.requests.length).toBeGreaterThan(0);
    expect(again.figures.cost).toBeLessThanOrEqual(Number(smallest));
  }, 120_000);
});

describe('through the bundle', () => {
  it('$0.05 completes the small fix', async () => {
    const w = await setup({ script: smallFix });
    const r = await w.run({ tier: SMOKE, eventName: 'issues', payload: issuesLabeled({ ...REPO, number: 3, title: 'Trim slug dashes', label: 'agent:fix', sender: 'acme' }), inputs: { 'max-cost-usd': '0.05' } });
    expect(r.outputs.status).toBe('completed');
    expect(Number(r.outputs['cost-usd'])).toBeLessThanOrEqual(0.05);
  }, 90_000);
});
