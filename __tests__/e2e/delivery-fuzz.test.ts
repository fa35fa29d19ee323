import { afterAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { bash, create, text, thinking } from '../../test/sim/anthropic.mjs';
import { rng } from '../../test/fuzz/capped-loop-fuzz.js';
import { issuesLabeled } from '../../test/sim/payloads.mjs';
import { createWorld } from '../../test/sim/world.mjs';
import { expectedFigures } from './expect-usage.js';

type World = Awaited<ReturnType<typeof createWorld>>;
type Req = { body: { messages: { content: unknown }[] } };
const worlds: World[] = [];
afterAll(() => Promise.all(worlds.map((w) => w.close())));

/**
 * The delivery half of the randomized property: through the bundle, whatever limit ends a run, every file the
 * agent wrote reaches the task branch and a PR (a draft unless the run completed), and the receipt adds up.
 */
describe('randomized runs through the bundle', () => {
  it.each([11, 22, 33, 44, 55, 66])('seed %i: changed files are delivered on the branch and a PR', async (seed) => {
    const r = rng(seed);
    const stopAfter = r.next() < 0.4 ? r.int(1, 6) : Infinity;
    const step = r.int(2_000, 9_000);
    const written: string[] = [];
    const world = await createWorld({
      fixtureDir: path.resolve('demo/sample-repo'),
      github: { issues: [{ number: 5, title: 'Randomized work', body: 'Do things.', labels: ['agent:fix'], user: 'acme' }] },
      anthropic: {
        script: ((req: Req, i: number) => {
          if (JSON.stringify(req.body.messages[req.body.messages.length - 1]).includes('no further tool calls will run')) {
            return { content: [text(`Summary of seed ${seed}.`)] };
          }
          if (i >= stopAfter) return { content: [text(`Done after ${i} steps.`)] };
          const file = `work/s${seed}-${i}.txt`;
          written.push(file);
          return { content: [thinking('plan '.repeat(step)), create(file, `step ${i}\n`), bash(`seq 1 ${r.int(1, 5000)}`)] };
        }) as never,
      },
    });
    worlds.push(world);
    const maxCost = r.next() < 0.3 ? '0.25' : undefined;
    const model = r.pick(['claude-opus-4-7', 'claude-sonnet-4-6']);
    const result = await world.run({
      eventName: 'issues',
      payload: issuesLabeled({ owner: 'acme', repo: 'slugkit', number: 5, title: 'Randomized work', label: 'agent:fix', sender: 'acme' }),
      inputs: { ...(maxCost ? { 'max-cost-usd': maxCost } : {}), model },
    });
    const sonnet = model === 'claude-sonnet-4-6' ? { input: 3, write5m: 3.75, read: 0.3, output: 15 } : undefined;
    const figures = expectedFigures(world.anthropic!.billed, sonnet);
    expect(figures.loop).toBeLessThanOrEqual(50_000);
    if (maxCost) expect(figures.cost).toBeLessThanOrEqual(Number(maxCost));
    expect(Number(result.outputs['loop-tokens'])).toBe(figures.loop);
    expect(['completed', 'budget-exhausted']).toContain(result.outputs.status);
    if (written.length > 0) {
      const tree = (await world.originGit(['ls-tree', '-r', '--name-only', 'refs/heads/taskcap/issue-5'])).stdout;
      // A call answered "not run" at the cap never wrote its file; every executed write is on the branch.
      const sent = JSON.stringify((world.anthropic!.requests as Req[]).map((q) => q.body.messages));
      const executed = written.filter((f) => sent.includes(`Created ${f}.`));
      expect(executed.length).toBeGreaterThan(0);
      for (const f of executed) expect(tree).toContain(f);
      expect(world.github.state.pulls).toHaveLength(1);
      expect(world.github.state.pulls[0].draft).toBe(result.outputs.status !== 'completed');
    }
    expect(world.github.violations).toEqual([]);
  }, 120_000);
});
