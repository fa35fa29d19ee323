import { describe, expect, it } from '@jest/globals';
import { parseDiscovered } from '../../src/fanout/discover-units.js';
import {
  addPlan,
  addShardRun,
  applyCollect,
  eligibleUnits,
  emptyState,
  PLAN_EXPIRES_MS,
  progressOf,
  shareLeft,
  shareThePool,
  syncWorkList,
  type ShardRun,
} from '../../src/fanout/fanout-state.js';
import { parseShardId, shardBranchOf, taskBranchOf } from '../../src/fanout/shard-id.js';
import { unitsListedDone } from '../../src/fanout/shard-mode.js';

const NOW = '2026-12-01T00:00:00.000Z';
const run = (o: Partial<ShardRun> = {}): ShardRun => ({
  run: '1',
  url: 'https://github.com/a/b/actions/runs/1',
  at: NOW,
  status: 'completed',
  loopTokens: 10_000,
  billed: { input: 10, cacheWrite: 100, cacheRead: 1000, output: 500 },
  costUsd: 0.05,
  turns: 3,
  commit: 'c'.repeat(40),
  unitsDone: [],
  ...o,
});
const units = (n: number) => Array.from({ length: n }, (_, i) => `src/m${String(i + 1).padStart(3, '0')}.js`);

describe('budget shares', () => {
  it('Σ shard budgets ≤ pool tokens and Σ cost caps ≤ pool dollars, for any pool', () => {
    for (const tokens of [20_000, 59_999, 60_000, 100_000, 123_457, 600_000]) {
      for (const maxCostUsd of [undefined, 0.07, 1, 20]) {
        const wishes = Array.from({ length: 8 }, (_, i) => ({ units: units(10).map((u) => `${i}/${u}`), budget: 60_000 }));
        const shards = shareThePool(wishes, { tokens, maxCostUsd });
        expect(shards.reduce((a, s) => a + s.budget, 0)).toBeLessThanOrEqual(tokens);
        if (maxCostUsd !== undefined) expect(shards.reduce((a, s) => a + (s.maxCostUsd ?? 0), 0)).toBeLessThanOrEqual(maxCostUsd);
        for (const s of shards) expect(s.budget).toBeGreaterThanOrEqual(20_000);
      }
    }
  });

  it('full shares while the pool lasts; the last one takes the rest (with proportionally fewer units) when that is at least 20k', () => {
    const wishes = Array.from({ length: 4 }, () => ({ units: units(10), budget: 60_000 }));
    const shards = shareThePool(wishes, { tokens: 150_000 });
    expect(shards.map((s) => [s.budget, s.units.length])).toEqual([
      [60_000, 10],
      [60_000, 10],
      [30_000, 5],
    ]);
    expect(shareThePool(wishes, { tokens: 139_999 }).map((s) => s.budget)).toEqual([60_000, 60_000]);
  });
});

describe('plans and collects', () => {
  it('hands out each unit once; a failed unit comes back with its reason and is parked after max attempts', () => {
    const state = emptyState('esm', 'migration');
    const list = units(6);
    syncWorkList(state, list, NOW);
    const plan = addPlan(state, shareThePool([{ units: list.slice(0, 3), budget: 30_000 }], { tokens: 30_000 }), { run: '1', at: NOW, pool: { tokens: 30_000 } });
    // A second plan before the first is collected: only what the first did not take.
    expect(eligibleUnits(state, list, 2)).toEqual(list.slice(3));
    addShardRun(state, plan.id, 1, run({ status: 'budget-exhausted', unitsDone: [list[0]] }));
    expect(addShardRun(state, plan.id, 1, run({ status: 'budget-exhausted', unitsDone: [list[0]] }))).toBe(false);
    applyCollect(state, plan.id, new Map([[1, { merged: 'm'.repeat(40) }]]), { run: '1', at: NOW, maxAttempts: 2 });
    expect(state.units[list[0]]).toEqual({ status: 'done', attempts: 0, plan: 1 });
    expect(state.units[list[1]]).toMatchObject({ status: 'failed', attempts: 1, reason: expect.stringContaining('budget share (30,000 tokens)') });
    // Applying the same collect again changes nothing.
    const once = JSON.stringify(state);
    applyCollect(state, plan.id, new Map([[1, { merged: 'x' }]]), { run: '1', at: NOW, maxAttempts: 2 });
    expect(JSON.stringify(state)).toBe(once);

    const plan2 = addPlan(state, [{ units: [list[1]], budget: 20_000 }], { run: '2', at: NOW, pool: { tokens: 20_000 } });
    addShardRun(state, plan2.id, 1, run({ status: 'failed', reason: 'api error', commit: undefined }));
    applyCollect(state, plan2.id, new Map([[1, { reason: 'shard 1 ended failed without pushing work' }]]), { run: '2', at: NOW, maxAttempts: 2 });
    expect(state.units[list[1]]).toEqual({ status: 'parked', attempts: 2, reason: 'shard 1 ended failed without pushing work' });
    expect(eligibleUnits(state, list, 2)).not.toContain(list[1]);
    // Raising max-attempts brings it back; a parked unit no longer listed (fixed by hand) is dropped.
    expect(eligibleUnits(state, list, 3)).toContain(list[1]);
    syncWorkList(state, list.filter((u) => u !== list[1]), NOW);
    expect(state.units[list[1]]).toBeUndefined();
  });

  it('a shard that never ran gives its units back without counting an attempt; so does a plan nobody collected in time', () => {
    const state = emptyState('esm', 'migration');
    syncWorkList(state, units(2), NOW);
    const plan = addPlan(state, [{ units: units(2), budget: 20_000 }], { run: '1', at: NOW, pool: { tokens: 20_000 } });
    const later = new Date(Date.parse(NOW) + PLAN_EXPIRES_MS + 1).toISOString();
    syncWorkList(state, units(2), later);
    expect(Object.values(state.units).map((u) => [u.status, u.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
    ]);
    applyCollect(state, plan.id, new Map(), { run: '1', at: later, maxAttempts: 2 });
    expect(Object.values(state.units).map((u) => u.status)).toEqual(['pending', 'pending']);
  });

  it('a retried shard gets what is left of its share, never more', () => {
    const state = emptyState('esm', 'migration');
    const plan = addPlan(state, [{ units: units(1), budget: 50_000, maxCostUsd: 1 }], { run: '1', at: NOW, pool: { tokens: 50_000, maxCostUsd: 1 } });
    addShardRun(state, plan.id, 1, run({ loopTokens: 18_000, costUsd: 0.4 }));
    expect(shareLeft(plan.shards[0])).toEqual({ tokens: 32_000, costUsd: 0.6 });
  });

  it('the forecast: mean spend per done unit × remaining, and the runs that takes at this pool', () => {
    const state = emptyState('esm', 'migration');
    syncWorkList(state, units(10), NOW);
    for (const u of units(4)) state.units[u] = { status: 'done', attempts: 0, plan: 1 };
    state.spent = { runs: 2, loopTokens: 80_000, costUsd: 2 };
    expect(progressOf(state, { tokens: 60_000, maxCostUsd: 1 })).toMatchObject({
      done: 4,
      remaining: 6,
      forecast: { loopTokens: 120_000, costUsd: 3, runs: 3 },
    });
  });
});

describe('names and strict parsing', () => {
  it('shard ids and branches: the shard branches never sit under the task branch', () => {
    expect(parseShardId('esm-migration/3/12')).toEqual({ task: 'esm-migration', plan: 3, n: 12 });
    expect(() => parseShardId('esm/0/1')).toThrow(/Input 'shard' must be a shard id/);
    expect(() => parseShardId('../x/1/1')).toThrow(/Input 'shard'/);
    expect(shardBranchOf('x', 3, 1).startsWith(`${taskBranchOf('x')}/`)).toBe(false);
  });

  it('"Units done:" counts only the shard\'s own units', () => {
    const summary = 'Converted.\n\nUnits done:\n- src/a.js\n- `src/b.js`\n- src/other.js\n\nNot finished: src/c.js';
    expect(unitsListedDone(summary, ['src/a.js', 'src/b.js', 'src/c.js'])).toEqual(['src/a.js', 'src/b.js']);
    expect(unitsListedDone('no list here', ['src/a.js'])).toEqual([]);
  });

  it('the discovery answer: exactly one units block, every line a unit, capped', () => {
    expect(parseDiscovered('Found:\n```units\nsrc/b.js\n- src/a.js\n```\n', 10)).toEqual(['src/a.js', 'src/b.js']);
    expect(() => parseDiscovered('src/a.js', 10)).toThrow(/exactly one ```units block/);
    expect(() => parseDiscovered('```units\na\n```\n```units\nb\n```', 10)).toThrow(/had 2/);
    expect(() => parseDiscovered('```units\na\nb\nc\n```', 2)).toThrow(/more than units.max \(2\)/);
    expect(() => parseDiscovered(`\`\`\`units\n${'x'.repeat(400)}\n\`\`\``, 10)).toThrow(/not a unit/);
  });
});
