// Issue 14, end to end, the long runs (complete suite only: `npm run test:complete`): plan → shard jobs in parallel
// (each on a fresh checkout, with its own run id and matrix value; separate processes in the bundle tier) →
// collect, over several runs and against races.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { expectedFigures, type Billed } from './expect-usage.js';
import { cjsRepo, fanoutConfig, ledgerOf, matrixOf, migrationModel, shardOf, snapshot, stateOf, steps, type Behaviour } from './fanout-fixture.js';
import { RECEIPT, useWorld, type World } from './world-fixture.js';

const setup = useWorld((o) => o);
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
      const s = steps(w, { runId: String(runId), testCommand: TESTS });
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
    const a = steps(w, { runId: '2001' });
    const b = steps(w, { runId: '2002' });
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

