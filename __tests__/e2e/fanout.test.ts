// Issue 14, end to end: work lists (from a command, from a discovery pass) and sweeps. The long plan → shards →
// collect runs are in fanout-runs.complete.test.ts.
import { describe, expect, it } from '@jest/globals';
import { bash, text } from '../../test/sim/anthropic.mjs';
import { workflowDispatch } from '../../test/sim/payloads.mjs';
import { cjsRepo, ledgerOf, matrixOf, migrationModel, REPO, snapshot, stateOf, steps } from './fanout-fixture.js';
import { RECEIPT, useWorld, type World } from './world-fixture.js';

const setup = useWorld((o) => o);

type Req = { body: { messages: { role: string; content: unknown }[] } };

describe('work lists', () => {
  const plan = (w: World, runId: string) => steps(w, { runId }).plan();

  it('from a command: one unit per output line, run in the sandbox; bad lines are left out and said so', async () => {
    const config = 'tasks:\n  esm:\n    class: migration\n    prompt: p\n    units: { command: "ls src/*.js; printf \'\\n  \\n%0400d\\n\' 0" }\n    shard: { size: 2, max-shards: 8, budget: 20k }\n';
    const w = await setup({ files: { ...cjsRepo(3), '.github/taskcap.yml': config }, anthropic: { script: migrationModel(() => 'convert') as never } });
    const r = await plan(w, '4001');
    expect(matrixOf(r.outputs)).toEqual(['esm/1/1', 'esm/1/2']);
    expect(r.summary).toContain('1 line was not a unit (too long, or with control characters) and left out.');
    const state = await stateOf(w);
    expect(state.plans[0].shards.map((s: { units: string[] }) => s.units)).toEqual([['src/dep.js', 'src/m01.js'], ['src/m02.js', 'src/m03.js']]);
    expect(w.anthropic!.requests).toHaveLength(0);
  }, 120_000);

  it('from a discovery pass: one capped explore request whose answer is the list, paid from the pool', async () => {
    const config = 'tasks:\n  esm:\n    class: migration\n    prompt: "Convert the CommonJS modules."\n    units: { discover: true, discover-budget: 20k }\n    shard: { size: 2, max-shards: 8, budget: 20k }\n    pool: { tokens: 60k }\n';
    const w = await setup({
      files: { ...cjsRepo(3), '.github/taskcap.yml': config },
      anthropic: {
        script: ((req: Req) =>
          /Do not change any file/.test(JSON.stringify(req.body.messages[0]))
            ? { content: [text('Found three.\n\n```units\nsrc/m03.js\nsrc/m01.js\nsrc/m02.js\n```')] }
            : migrationModel(() => 'convert')(req)) as never,
      },
    });
    const r = await plan(w, '4002');
    expect(r.exitCode).toBe(0);
    const state = await stateOf(w);
    const spent = state.spent.loopTokens;
    expect(spent).toBeGreaterThan(0);
    // Two 20k shards would need 40k; what discovery spent comes off the 60k pool first.
    expect(state.plans[0].pool.tokens).toBe(60_000 - spent);
    expect(state.plans[0].shards.map((s: { units: string[] }) => s.units)).toEqual([['src/m01.js', 'src/m02.js'], ['src/m03.js']]);
    expect((await ledgerOf(w)).map((e) => e.shard)).toEqual(['esm/discover']);
    // Re-running the plan job discovers nothing again.
    await steps(w, { runId: '4002' }).plan('2');
    expect(w.anthropic!.requests).toHaveLength(1);
  }, 120_000);
});

describe('a sweep', () => {
  it('works 5 labeled issues as labeled issues within its pool: 5 PRs, 5 receipts; skips one with an open PR and one labeled by a reader', async () => {
    const issues = [1, 2, 3, 4, 5, 6].map((n) => ({ number: n, title: `Bug ${n}`, body: `Fix bug ${n}.`, labels: ['agent:queue', ...(n === 2 ? ['agent:refactor'] : [])], user: 'acme', createdAt: `2026-01-0${n}T00:00:00Z` }));
    issues.push({ number: 8, title: 'Bug 8', body: 'Fix bug 8.', labels: ['agent:queue'], user: 'mallory', createdAt: '2026-01-08T00:00:00Z', labeledBy: { 'agent:queue': 'mallory' } } as never);
    const w = await setup({
      files: { 'README.md': '# r\n', '.github/taskcap.yml': 'tasks:\n  backlog:\n    sweep: { label: "agent:queue", max-issues: 6, tracking-issue: 9 }\n    pool: { tokens: 300k, max-cost-usd: 5 }\n' },
      extraRefs: [{ ref: 'refs/heads/taskcap/issue-6', files: { 'six.txt': '6\n' }, message: 'earlier work on 6' }],
      github: {
        permissions: { mallory: 'read' },
        issues: [...issues, { number: 9, title: 'Sweep tracking', body: '', labels: [], user: 'acme' }],
        pulls: [{ number: 7, title: 'taskcap: Bug 6', head: 'taskcap/issue-6', user: 'github-actions[bot]' }],
      },
      anthropic: {
        script: ((req: Req) => {
          const n = /Resolve issue #(\d+)/.exec(JSON.stringify(req.body.messages[0]))?.[1];
          return req.body.messages.length === 1 ? { content: [bash(`echo fixed > fix-${n}.txt`)] } : { content: [text(`Fixed bug ${n}.`)] };
        }) as never,
      },
    });
    const payload = workflowDispatch({ ...REPO, inputs: { task: 'backlog' }, sender: 'acme' });
    const run = (inputs: Record<string, string>, attempt = '1') => w.run({ eventName: 'workflow_dispatch', payload, runId: '3001', runAttempt: attempt, inputs });
    const plan = await run({ mode: 'plan', task: 'backlog' });
    expect(matrixOf(plan.outputs)).toEqual(['backlog/1/1', 'backlog/1/2', 'backlog/1/3', 'backlog/1/4', 'backlog/1/5']);
    expect(plan.summary).toContain('#6: has an open taskcap pull request (#7)');
    expect(plan.summary).toMatch(/#8: labeled by mallory: mallory has 'read' permission/);
    const shards = await Promise.all(matrixOf(plan.outputs).map((id) => w.run({ eventName: 'workflow_dispatch', payload, runId: '3001', inputs: { mode: 'shard', shard: id } })));
    expect(shards.map((r) => r.outputs.status)).toEqual(Array(5).fill('completed'));
    // Issue 2 ran in its own class, as its labels say.
    expect(shards.map((r) => r.outputs['budget-class'])).toEqual(['fix', 'refactor', 'fix', 'fix', 'fix']);
    const collect = await run({ mode: 'collect', task: 'backlog' });
    expect(collect.exitCode).toBe(0);

    const pulls = w.github.state.pulls.filter((p) => p.number !== 7);
    expect(pulls.map((p) => p.head).sort()).toEqual([1, 2, 3, 4, 5].map((n) => `taskcap/issue-${n}`));
    for (const p of pulls) expect(p.body).toContain(`Fixes #${p.head.split('-')[1]}`);
    for (const n of [1, 2, 3, 4, 5]) expect(w.github.state.comments.filter((c) => c.issueNumber === n && c.body.includes(RECEIPT))).toHaveLength(1);
    expect(w.github.state.comments.filter((c) => [6, 8].includes(c.issueNumber))).toEqual([]);
    const loop = shards.reduce((a, r) => a + Number(r.outputs['loop-tokens']), 0);
    expect(loop).toBeLessThanOrEqual(300_000);
    expect(shards.reduce((a, r) => a + Number(r.outputs.budget), 0)).toBeLessThanOrEqual(300_000);
    // The sweep summary: the job summary and the tracking issue.
    expect(collect.summary).toContain('| #1 | fix | completed |');
    const tracking = w.github.state.comments.filter((c) => c.issueNumber === 9);
    expect(tracking).toHaveLength(1);
    expect(tracking[0].body).toContain('#6: has an open taskcap pull request (#7)');

    // Everything re-run changes nothing.
    const before = await snapshot(w);
    expect(matrixOf((await run({ mode: 'plan', task: 'backlog' }, '2')).outputs)).toEqual([]);
    await run({ mode: 'shard', shard: 'backlog/1/1' }, '2');
    await run({ mode: 'collect', task: 'backlog' }, '2');
    expect(await snapshot(w)).toEqual(before);
  }, 300_000);
});
