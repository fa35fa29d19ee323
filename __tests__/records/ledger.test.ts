import { describe, expect, it } from '@jest/globals';
import {
  dayLabel,
  formatLedgerLine,
  isoWeekLabel,
  ledgerEntry,
  type LedgerEntry,
  monthToDateCost,
  nearestRank,
  parseLedger,
  recommendedBudget,
  summarizeLedger,
} from '../../src/records/ledger.js';
import { renderLedgerReport } from '../../src/render/ledger-report.js';
import type { Status } from '../../src/records/run-outcome.js';
import { budgetExhaustedReport, completedReport } from '../fixtures/run-outcomes.js';

let seq = 0;
function entry(className: string, outcome: Status, loopTokens: number, costUsd: number, at: string, budget = 50_000): LedgerEntry {
  seq += 1;
  return {
    v: 1,
    at,
    repo: 'acme/slugkit',
    class: className,
    budget,
    model: 'claude-opus-4-7',
    outcome,
    limit: outcome === 'budget-exhausted' ? 'budget' : null,
    loopTokens,
    billed: { input: 30, cacheWrite: 20_000, cacheRead: 300_000, output: 9_000, thinking: 4_000 },
    costUsd,
    turns: 12,
    issue: seq,
    runId: String(11_900_000_000 + seq),
  };
}

/** A month of runs with known statistics (see the expectations below). */
function syntheticLedger(): LedgerEntry[] {
  const day = (d: number, h = 10) => `2026-11-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00.000Z`;
  const fixCompleted = [30_000, 12_000, 41_000, 25_000, 18_000, 36_000, 22_000, 31_000];
  return [
    ...fixCompleted.map((t, i) => entry('fix', 'completed', t, t / 100_000, day(2 + i * 3))),
    entry('fix', 'budget-exhausted', 49_800, 0.9, day(5, 15)),
    entry('fix', 'budget-exhausted', 49_950, 0.9, day(19, 15)),
    entry('fix', 'skipped', 0, 0, day(20)),
    entry('fix', 'refused', 0, 0, day(21)),
    entry('refactor', 'completed', 16_000, 0.2, day(3), 40_000),
    entry('refactor', 'completed', 9_000, 0.1, day(10), 40_000),
    entry('refactor', 'completed', 14_000, 0.15, day(24), 40_000),
    entry('feature', 'completed', 70_000, 1.6, day(4), 80_000),
    entry('feature', 'budget-exhausted', 79_900, 2.0, day(11), 80_000),
    entry('feature', 'budget-exhausted', 79_700, 2.1, day(18), 80_000),
    entry('feature', 'failed', 5_000, 0.1, day(25), 100_000),
    entry('migration', 'budget-exhausted', 199_000, 6.5, day(12), 200_000),
    entry('migration', 'budget-exhausted', 198_500, 6.25, day(26), 200_000),
  ];
}

describe('nearest-rank percentiles', () => {
  it('returns the value at rank ⌈p/100 · n⌉', () => {
    const v = [15, 20, 35, 40, 50];
    expect(nearestRank(v, 5)).toBe(15);
    expect(nearestRank(v, 30)).toBe(20);
    expect(nearestRank(v, 40)).toBe(20);
    expect(nearestRank(v, 50)).toBe(35);
    expect(nearestRank(v, 90)).toBe(50);
    expect(nearestRank(v, 100)).toBe(50);
    expect(nearestRank(v, 0)).toBe(15);
    expect(nearestRank([7], 90)).toBe(7);
    expect(nearestRank([], 50)).toBeUndefined();
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(ten, 90)).toBe(9);
    expect(nearestRank(ten, 91)).toBe(10);
    expect(nearestRank(ten, 50)).toBe(5);
  });

  it('recommends max(20,000, p90 × 1.25 rounded up to 1,000)', () => {
    expect(recommendedBudget(41_000)).toBe(52_000); // 51,250 → 52,000
    expect(recommendedBudget(40_000)).toBe(50_000); // exact
    expect(recommendedBudget(40_001)).toBe(51_000);
    expect(recommendedBudget(8_000)).toBe(20_000);
    expect(recommendedBudget(0)).toBe(20_000);
  });
});

describe('summarizeLedger on a synthetic ledger', () => {
  const summary = summarizeLedger(syntheticLedger(), { now: '2026-11-30T00:00:00.000Z' });
  const byName = Object.fromEntries(summary.classes.map((c) => [c.className, c]));

  it('counts runs, completions and cap hits per class (skipped and refused are not runs)', () => {
    expect(summary.entries).toBe(21);
    expect(summary.runs).toBe(19);
    expect(byName.fix).toMatchObject({ runs: 10, completed: 8, capHits: 2, capHitRate: 0.2 });
    expect(byName.refactor).toMatchObject({ runs: 3, completed: 3, capHits: 0, capHitRate: 0 });
    expect(byName.feature).toMatchObject({ runs: 4, completed: 1, capHits: 2, capHitRate: 0.5 });
    expect(byName.migration).toMatchObject({ runs: 2, completed: 0, capHits: 2, capHitRate: 1 });
  });

  it('takes p50/p90 of completed runs only and recommends a budget', () => {
    // fix, completed sorted: 12k 18k 22k 25k 30k 31k 36k 41k → p50 = rank 4, p90 = rank ⌈7.2⌉ = 8.
    expect(byName.fix).toMatchObject({ p50: 25_000, p90: 41_000, recommendedBudget: 52_000, enoughData: true, currentBudget: 50_000 });
    // refactor: 9k 14k 16k → p50 = rank 2, p90 = rank 3; 16k × 1.25 = 20k.
    expect(byName.refactor).toMatchObject({ p50: 14_000, p90: 16_000, recommendedBudget: 20_000, enoughData: false });
    // feature: one completed run of 70k → 87,500 → 88,000; its latest run had a 100k budget.
    expect(byName.feature).toMatchObject({ p50: 70_000, p90: 70_000, recommendedBudget: 88_000, enoughData: false, currentBudget: 100_000 });
    expect(byName.migration.p90).toBeUndefined();
    expect(byName.migration.recommendedBudget).toBeUndefined();
  });

  it('adds up costs: total and mean per run', () => {
    expect(byName.fix.totalCostUsd).toBeCloseTo(2.15 + 1.8, 6);
    expect(byName.fix.meanCostUsd).toBeCloseTo(0.395, 6);
    expect(byName.feature.totalCostUsd).toBeCloseTo(5.8, 6);
    expect(byName.feature.meanCostUsd).toBeCloseTo(1.45, 6);
    expect(summary.totalCostUsd).toBeCloseTo(3.95 + 0.45 + 5.8 + 12.75, 6);
    // Most expensive class first.
    expect(summary.classes.map((c) => c.className)).toEqual(['migration', 'feature', 'fix', 'refactor']);
  });

  it('buckets spend by day for a month, every day present, and the periods add up', () => {
    expect(summary.bucket).toBe('day');
    expect(summary.spend[0].label).toBe('2026-11-02');
    expect(summary.spend[summary.spend.length - 1].label).toBe('2026-11-26');
    expect(summary.spend).toHaveLength(25);
    expect(summary.spend.find((p) => p.label === '2026-11-05')?.byClass).toEqual({ fix: 0.9 + 0.12 }); // a cap hit and the 12k run
    expect(summary.spend.find((p) => p.label === '2026-11-06')?.totalUsd).toBe(0);
    expect(summary.spend.reduce((s, p) => s + p.totalUsd, 0)).toBeCloseTo(summary.totalCostUsd, 6);
  });

  it('filters by since and now (inclusive)', () => {
    const late = summarizeLedger(syntheticLedger(), { since: '2026-11-24T10:00:00.000Z', now: '2026-11-25T10:00:00.000Z' });
    expect(late.entries).toBe(2);
    expect(late.classes.map((c) => c.className).sort()).toEqual(['feature', 'refactor']);
    expect(summarizeLedger([], {}).classes).toEqual([]);
  });

  it('buckets by ISO week over a longer span', () => {
    const entries = [
      entry('fix', 'completed', 20_000, 0.5, '2026-12-28T09:00:00.000Z'), // Monday of 2026-W53
      entry('fix', 'completed', 20_000, 0.25, '2027-01-03T23:00:00.000Z'), // Sunday, same week
      entry('fix', 'completed', 20_000, 1, '2027-02-10T09:00:00.000Z'),
      entry('review', 'completed', 20_000, 0.125, '2026-12-01T09:00:00.000Z'),
    ];
    const s = summarizeLedger(entries);
    expect(s.bucket).toBe('week');
    expect(s.spend[0].label).toBe('2026-W49');
    expect(s.spend.find((p) => p.label === '2026-W53')?.byClass).toEqual({ fix: 0.75 });
    expect(s.spend[s.spend.length - 1].label).toBe('2027-W06');
    expect(s.spend).toHaveLength(11);
  });
});

describe('time buckets', () => {
  it('labels ISO weeks correctly at year boundaries', () => {
    const week = (iso: string) => isoWeekLabel(Date.parse(iso));
    expect(week('2021-01-03T12:00:00Z')).toBe('2020-W53');
    expect(week('2021-01-04T00:00:00Z')).toBe('2021-W01');
    expect(week('2024-12-30T00:00:00Z')).toBe('2025-W01');
    expect(week('2026-01-01T00:00:00Z')).toBe('2026-W01');
    expect(week('2027-01-01T00:00:00Z')).toBe('2026-W53');
    expect(week('2026-11-29T23:59:59Z')).toBe('2026-W48');
    expect(dayLabel(Date.parse('2026-11-29T23:59:59Z'))).toBe('2026-11-29');
  });

  it('sums the UTC calendar month up to now', () => {
    const entries = [
      entry('fix', 'completed', 1, 1, '2026-10-31T23:59:59.999Z'),
      entry('fix', 'completed', 1, 2, '2026-11-01T00:00:00.000Z'),
      entry('fix', 'completed', 1, 4, '2026-11-20T12:00:00.000Z'),
      entry('fix', 'completed', 1, 8, '2026-11-20T12:00:01.000Z'),
      entry('fix', 'completed', 1, 16, '2026-12-01T00:00:00.000Z'),
      entry('fix', 'completed', 1, 32, '2025-11-15T00:00:00.000Z'),
    ];
    expect(monthToDateCost(entries, '2026-11-20T12:00:00.000Z')).toBe(6);
    expect(monthToDateCost(entries, '2026-12-31T00:00:00.000Z')).toBe(16);
    expect(monthToDateCost(entries, 'not a date')).toBe(0);
  });
});

describe('ledger lines', () => {
  it('round-trips an entry built from a report, on one line', () => {
    const e = ledgerEntry(budgetExhaustedReport(), { at: '2026-11-29T07:11:05.000Z', repository: 'acme/slugkit', runId: '11934834502', issue: 3 });
    expect(e).toMatchObject({ class: 'fix', budget: 50_000, outcome: 'budget-exhausted', limit: 'budget', loopTokens: 48_902, turns: 14, issue: 3, pr: 12 });
    expect(e.billed).toEqual({ input: 42, cacheWrite: 57_958, cacheRead: 419_034, output: 21_928, thinking: 10_358 });
    const line = formatLedgerLine(e);
    expect(line).not.toContain('\n');
    expect(parseLedger(`${line}\n`)).toEqual([e]);
    expect(ledgerEntry(completedReport(), { at: 'x', repository: 'r', runId: '1' }).limit).toBeNull();
  });

  it('skips blank, garbage, torn and malformed lines', () => {
    const good = entry('fix', 'completed', 1_000, 0.01, '2026-11-01T00:00:00.000Z');
    const line = formatLedgerLine(good);
    const text = [
      '',
      line,
      '   ',
      'not json',
      line.slice(0, 40), // a torn write
      '{"v":1}',
      JSON.stringify({ ...good, loopTokens: -1 }),
      JSON.stringify({ ...good, costUsd: 'free' }),
      JSON.stringify({ ...good, outcome: 'amazing' }),
      JSON.stringify({ ...good, at: 'yesterday' }),
      JSON.stringify({ ...good, billed: null }),
      '[1,2,3]',
      `  ${line}  `,
      '\r',
    ].join('\n');
    expect(parseLedger(text)).toEqual([good, good]);
  });
});

describe('renderLedgerReport', () => {
  it('renders the per-class table, the spend chart and how to read it', () => {
    const entries = syntheticLedger();
    const now = '2026-11-30T00:00:00.000Z';
    const md = renderLedgerReport(summarizeLedger(entries, { now }), { monthToDateUsd: monthToDateCost(entries, now), monthlyCapUsd: 50 });
    expect(md).toMatchSnapshot();
    expect(md).toContain('| fix | 10 | 8 | 20% | 25,000 | 41,000 | $0.3950 | $3.9500 | 50,000 | **52,000** |');
    expect(md).toContain('| refactor | 3 | 3 | 0% | 14,000 | 16,000 | $0.1500 | $0.4500 | 40,000 | **20,000** (not enough data: 3 completed) |');
    expect(md).toContain('| migration | 2 | 0 | 100% ⚠ | — | — | $6.3750 | $12.7500 | 200,000 | — (no completed runs) |');
    expect(md).toContain('Month to date: **$22.9500** of the $50.0000 monthly cap (46%).');
    expect(md).toContain('xychart-beta');
    expect(md).toContain('| day | 🟦 migration | 🟧 feature | 🟩 fix | 🟥 refactor | total |');
    expect(md).toContain('_How to read this:_');
  });

  it('says so when there is nothing to report, and keeps hostile class names inert', () => {
    expect(renderLedgerReport(summarizeLedger([]))).toContain('No runs in the ledger for this period yet.');
    const md = renderLedgerReport(summarizeLedger([entry('<img src=x> | [a](b)', 'completed', 30_000, 0.5, '2026-11-01T00:00:00.000Z')]));
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img src=x&gt; \\| \\[a\\](b)');
  });

  it('groups classes beyond the palette into one line', () => {
    const entries = Array.from({ length: 12 }, (_, i) => entry(`class${i}`, 'completed', 30_000, i + 1, '2026-11-01T00:00:00.000Z'));
    const md = renderLedgerReport(summarizeLedger(entries));
    expect(md).toContain('⬛ other classes');
    expect(md.split('\n').find((l) => l.startsWith('| 2026-11-01'))).toBe(
      '| 2026-11-01 | $12.0000 | $11.0000 | $10.0000 | $9.0000 | $8.0000 | $7.0000 | $6.0000 | $15.0000 | $78.0000 |',
    );
  });
});
