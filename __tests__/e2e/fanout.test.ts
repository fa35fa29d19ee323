// Issue 14, end to end: plan → shard jobs as separate processes in parallel (each on a fresh checkout, with its own
// run id and matrix value) → collect, against the simulators; then sweeps.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { bash, text } from '../../test/sim/anthropic.mjs';
import { workflowDispatch } from '../../test/sim/payloads.mjs';
import { expectedFigures, type Billed } from './expect-usage.js';
import { cjsRepo, fanoutConfig, matrixOf, migrationModel, REPO, shardOf, steps, type Behaviour } from './fanout-fixture.js';
import { RECEIPT, useWorld, type World } from './world-fixture.js';

const setup = useWorld((o) => o);
/** The shard jobs run through the bundle, as the runner runs them: one process each, all at once. */
const SHARDS: { tier?: 'bundle' } = process.env.FANOUT_DEV ? {} : { tier: 'bundle' };
const TESTS = 'test ! -e BROKEN';

type Req = { body: { messages: { role: string; content: unknown }[] } };

/** Loop tokens and cost of each shard run, by the simulator's own accounting (requests grouped by their task text). */
function simulatorSpend(w: World): Map<string, { loop: number; cost: number }> {
  const byShard = new Map<string, Billed[]>();
  const requests = w.anthropic!.requests as unknown as Req[];
  for (const b of w.anthropic!.billed as unknown as (Billed & { index: number })[]) {
    const s = shardOf(requests[b.index]);
    if (!s) continue;
    const key = `${s.plan}/${s.n}`;
    byShard.set(key, [...(byShard.get(key) ?? []), b]);
  }
  return new Map([...byShard].map(([k, billed]) => [k, { loop: expectedFigures(billed).loop, cost: expectedFigures(billed).cost }]));
}

/** Everything a step could change: the origin's refs, GitHub's writes, model requests. */
async function snapshot(w: World) {
  return {
    refs: (await w.originGit(['for-each-ref', '--format=%(refname) %(objectname)'])).stdout,
    writes: w.github.writes().length,
    requests: w.anthropic!.requests.length,
  };
}

const stateOf = async (w: World) => JSON.parse((await w.originGit(['show', 'refs/heads/taskcap/ledger:fanout/esm.json'])).stdout);
const ledgerOf = async (w: World) => (await w.originGit(['show', 'refs/heads/taskcap/ledger:ledger.jsonl'])).stdout.trim().split('\n').map((l) => JSON.parse(l));

/** Numbers of the combined receipt's table: each shard row and the total row. */
function receiptTable(body: string) {
  const num = (s: string) => Number(s.replace(/[*$,]/g, ''));
  const rows = body.split('\n').filter((l) => l.startsWith('| plan ') || l.startsWith('| **total**'));
  return rows.map((l) => {
    const cells = l.split('|').map((c) => c.trim());
    return { label: cells[1], loop: num(cells[3]), cost: num(cells[5]) };
  });
}

describe('a 40-unit migration over several runs', () => {
  it('finishes every unit exactly once in one PR; cap, model error, failing tests and a conflict are each handled; the pool holds; re-runs change nothing', async () => {
    // Plan 1's five shards each meet a different fate; every later shard converts its units.
    const fate: Record<number, Behaviour> = { 1: 'conflict-a', 2: 'cap', 3: 'error', 4: 'break-tests', 5: 'conflict-b' };
    const w = await setup({
      files: { ...cjsRepo(40), '.github/taskcap.yml': fanoutConfig({ size: 4, maxShards: 5, budget: '24k', pool: '120k', maxCost: 2.5 }) },
      anthropic: { script: migrationModel((s) => (s.plan === 1 ? fate[s.n] : 'convert')) as never },
    });
    const records: Record<string, { loopTokens: number; costUsd: number }> = {};
    let runs = 0;
    for (let runId = 1001; runs < 6; runId++, runs++) {
      const s = steps(w, { runId: String(runId), testCommand: TESTS, shardTier: SHARDS.tier });
      const plan = await s.plan();
      expect(plan.exitCode).toBe(0);
      const ids = matrixOf(plan.outputs);
      expect(plan.outputs.shards).toBe(String(ids.length));
      if (ids.length === 0) {
        expect(plan.outputs.matrix).toBe('{"shard":[]}');
        break;
      }
      const shardRuns = await Promise.all(ids.map((id) => s.shard(id, '1').then((r) => ({ id, r }))));
      for (const { id, r } of shardRuns) {
        // A shard that failed or hit its cap stays green: its siblings and the collect go on.
        expect([id, r.exitCode]).toEqual([id, 0]);
        const record = JSON.parse(fs.readFileSync(r.outputs['run-record'], 'utf8'));
        records[id] = { loopTokens: record.totals.loopTokens, costUsd: record.totals.costUsd };
      }
      if (runId === 1001) {
        const statuses = Object.fromEntries(shardRuns.map(({ id, r }) => [id, r.outputs.status]));
        expect(statuses).toEqual({ 'esm/1/1': 'completed', 'esm/1/2': 'budget-exhausted', 'esm/1/3': 'failed', 'esm/1/4': 'completed', 'esm/1/5': 'completed' });
      }
      const collect = await s.collect();
      expect(collect.exitCode).toBe(0);

      // The pool of this run held, by the simulator's accounting: Σ loop tokens ≤ pool tokens, Σ cost ≤ pool dollars.
      const spend = [...simulatorSpend(w)].filter(([k]) => k.startsWith(`${runs + 1}/`));
      expect(spend.reduce((a, [, x]) => a + x.loop, 0)).toBeLessThanOrEqual(120_000);
      expect(spend.reduce((a, [, x]) => a + x.cost, 0)).toBeLessThanOrEqual(2.5);
      // Each shard's record is the simulator's figure.
      for (const [k, x] of spend) expect(records[`esm/${k}`].loopTokens).toBe(x.loop);

      // The combined receipt: a row per shard of this run, totals = Σ rows = Σ the shards' run records.
      const receipt = w.github.state.comments.filter((c) => c.body.includes(RECEIPT));
      expect(receipt).toHaveLength(1);
      const rows = receiptTable(receipt[0].body);
      const total = rows.pop()!;
      expect(rows.map((r) => r.label)).toEqual(ids.map((id) => expect.stringContaining(`shard ${id.split('/')[2]}`)));
      const recorded = ids.map((id) => records[id]);
      expect(total.loop).toBe(rows.reduce((a, r) => a + r.loop, 0));
      expect(total.loop).toBe(recorded.reduce((a, r) => a + r.loopTokens, 0));
      expect(Math.abs(total.cost - recorded.reduce((a, r) => a + r.costUsd, 0))).toBeLessThan(0.00006);

      if (runId === 1001) {
        const state = await stateOf(w);
        const unitsOf = (n: number) => state.plans[0].shards[n - 1].units as string[];
        const status = (u: string) => state.units[u].status;
        // The conflict-free first shard merged; the capped and the erroring shard merged what they finished.
        expect(unitsOf(1).map(status)).toEqual(unitsOf(1).map(() => 'done'));
        expect(unitsOf(2).map(status)).toEqual(['done', 'done', 'failed', 'failed']);
        expect(unitsOf(3).map(status)).toEqual(['done', 'done', 'failed', 'failed']);
        expect(state.units[unitsOf(2)[3]].reason).toMatch(/budget share/);
        // Failing tests and the conflict: nothing merged, every unit back with the reason.
        expect(unitsOf(4).map(status)).toEqual(['failed', 'failed', 'failed', 'failed']);
        expect(state.units[unitsOf(4)[0]].reason).toMatch(/tests failed/);
        expect(unitsOf(5).map(status)).toEqual(['failed', 'failed', 'failed', 'failed']);
        expect(state.units[unitsOf(5)[0]].reason).toMatch(/conflicted with the merged work in NOTES\.md/);
        // Merged shard branches are deleted; the unmerged ones are kept for a look.
        const branches = (await w.originGit(['for-each-ref', '--format=%(refname:short)', 'refs/heads/taskcap/shards/'])).stdout.trim().split('\n');
        expect(branches).toEqual(['taskcap/shards/esm/1-4', 'taskcap/shards/esm/1-5']);
        // Every step of this run, re-run twice (run attempts 2 and 3), changes nothing.
        const before = await snapshot(w);
        for (const attempt of ['2', '3']) {
          expect(matrixOf((await s.plan(attempt)).outputs)).toEqual([]);
          for (const id of ids) expect((await s.shard(id, attempt)).outputs.status).toBe('skipped');
          expect((await s.collect(attempt)).exitCode).toBe(0);
        }
        expect(await snapshot(w)).toEqual(before);
      }
    }
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThan(6);

    // Done: every unit exactly once, in one PR.
    const state = await stateOf(w);
    expect(Object.values(state.units).map((u) => (u as { status: string }).status)).toEqual(Array(40).fill('done'));
    for (let i = 1; i <= 40; i++) {
      const file = (await w.originGit(['show', `refs/heads/taskcap/task-esm:src/m${String(i).padStart(2, '0')}.js`])).stdout;
      expect(file).toBe(`const dep = await import('./dep');\nmodule.exports = () => dep(${i});\n`);
    }
    expect(w.github.state.pulls).toHaveLength(1);
    expect(w.github.state.pulls[0].head).toBe('taskcap/task-esm');
    expect(w.github.state.pulls[0].body).toContain('**40 / 40 done**');
    // The test command ran on the merged work too.
    expect(w.github.state.pulls[0].body).toContain("Tests on the merged work: `test ! -e BROKEN` passed ✅");
    expect(w.github.state.pulls[0].draft).toBe(false);
    // Every shard run is in the ledger once.
    const ledger = await ledgerOf(w);
    const keys = ledger.map((e) => `${e.runId} ${e.shard}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(ledger.length).toBe(Object.keys(records).length);
  }, 600_000);
});

describe('re-runs and races', () => {
  it('a plan made before the previous collect never hands out the same units; two collects racing merge, comment and record once', async () => {
    const w = await setup({
      files: { ...cjsRepo(12), '.github/taskcap.yml': fanoutConfig({ size: 3, maxShards: 2, budget: '24k', pool: '48k' }) },
      anthropic: { script: migrationModel(() => 'convert') as never },
    });
    const a = steps(w, { runId: '2001', shardTier: SHARDS.tier });
    const b = steps(w, { runId: '2002', shardTier: SHARDS.tier });
    const planA = matrixOf((await a.plan()).outputs);
    const planB = matrixOf((await b.plan()).outputs);
    const state = await stateOf(w);
    const unitsOfPlan = (id: number) => state.plans.find((p: { id: number }) => p.id === id).shards.flatMap((s: { units: string[] }) => s.units);
    expect(unitsOfPlan(1).filter((u: string) => unitsOfPlan(2).includes(u))).toEqual([]);
    await Promise.all([...planA.map((id) => a.shard(id)), ...planB.map((id) => b.shard(id))]);
    // Run A's collect and its re-run (attempt 2) at once; then run B's.
    const [c1, c2] = await Promise.all([a.collect('1'), a.collect('2')]);
    expect([c1.exitCode, c2.exitCode]).toEqual([0, 0]);
    await b.collect();
    expect(w.github.state.pulls).toHaveLength(1);
    expect(w.github.state.comments.filter((c) => c.body.includes(RECEIPT))).toHaveLength(1);
    const merges = (await w.originGit(['log', '--merges', '--format=%s', 'refs/heads/taskcap/task-esm'])).stdout.trim().split('\n');
    expect(merges.sort()).toEqual(['taskcap: merge esm/1/1 (3 units)', 'taskcap: merge esm/1/2 (3 units)', 'taskcap: merge esm/2/1 (3 units)', 'taskcap: merge esm/2/2 (3 units)']);
    const ledger = await ledgerOf(w);
    expect(ledger).toHaveLength(4);
    const done = Object.values((await stateOf(w)).units).filter((u) => (u as { status: string }).status === 'done');
    expect(done).toHaveLength(12);
  }, 300_000);
});

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
    const shards = await Promise.all(matrixOf(plan.outputs).map((id) => w.run({ eventName: 'workflow_dispatch', payload, runId: '3001', inputs: { mode: 'shard', shard: id }, ...SHARDS })));
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
