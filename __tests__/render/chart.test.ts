import { describe, expect, it } from '@jest/globals';
import { loopChart, loopPoints, MAX_CHART_POINTS, mermaidBlock, niceCeiling, sampleIndices, xyChart } from '../../src/render/chart.js';
import type { RequestRow } from '../../src/records/run-outcome.js';
import { budgetExhaustedReport } from '../fixtures/run-outcomes.js';

const rows = (n: number): RequestRow[] =>
  Array.from({ length: n }, (_, i) => ({
    index: i + 1,
    attempt: 1,
    input: 3,
    cacheRead: 0,
    cacheWrite: 0,
    output: 100,
    loopAfter: (i + 1) * 100,
    costUsd: 0.01,
    stopReason: 'tool_use',
    durationMs: 1000,
  }));

/** The bracketed list of a chart line such as `  bar [1, 2]`. */
const listOf = (chart: string, keyword: string): string[] => {
  const line = chart.split('\n').find((l) => l.trimStart().startsWith(keyword));
  return line ? line.slice(line.indexOf('[') + 1, line.lastIndexOf(']')).split(', ') : [];
};

describe('loopChart', () => {
  it('draws cumulative loop tokens as bars against a budget line', () => {
    const chart = loopChart(budgetExhaustedReport().requests, 50_000);
    expect(chart).toMatchSnapshot();
    expect(chart).toContain('xychart-beta');
    expect(chart).toContain('y-axis "loop tokens" 0 --> 50000');
    expect(listOf(chart, 'bar')).toHaveLength(14);
    expect(new Set(listOf(chart, 'line'))).toEqual(new Set(['50000']));
  });

  it(`downsamples long runs to at most ${MAX_CHART_POINTS} points, keeping the first and the last`, () => {
    const chart = loopChart(rows(2_000), 250_000);
    const xs = listOf(chart, 'x-axis');
    expect(xs.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(xs[0]).toBe('"1"');
    expect(xs[xs.length - 1]).toBe('"2000"');
    expect(listOf(chart, 'bar')[xs.length - 1]).toBe('200000');
    expect(chart).toContain('x-axis "request (sampled)"');
  });

  it('counts a retried request once, with its last attempt', () => {
    const r = rows(3);
    r.splice(2, 0, { ...r[1], attempt: 2, loopAfter: 250 });
    expect(loopPoints(r)).toEqual([
      { request: 1, loopAfter: 100 },
      { request: 2, loopAfter: 250 },
      { request: 3, loopAfter: 300 },
    ]);
  });

  it('raises the axis above the budget when a run went over, and copes with no requests or no budget', () => {
    expect(loopChart(rows(3).map((q) => ({ ...q, loopAfter: q.loopAfter * 1000 })), 250_000)).toContain('0 --> 300000');
    expect(loopChart([], 50_000)).toContain('bar [0]');
    expect(loopChart(rows(2))).not.toContain('line');
  });
});

describe('chart helpers', () => {
  it('sampleIndices spreads evenly and never repeats', () => {
    expect(sampleIndices(5, 60)).toEqual([0, 1, 2, 3, 4]);
    expect(sampleIndices(0)).toEqual([]);
    expect(sampleIndices(100, 5)).toEqual([0, 25, 50, 74, 99]);
    expect(sampleIndices(10, 1)).toEqual([9]);
    const many = sampleIndices(61, 60);
    expect(new Set(many).size).toBe(many.length);
    expect(many[many.length - 1]).toBe(60);
  });

  it('niceCeiling rounds the axis top up to a readable value', () => {
    expect(niceCeiling(50_000)).toBe(50_000);
    expect(niceCeiling(46_210)).toBe(50_000);
    expect(niceCeiling(51_000)).toBe(60_000);
    expect(niceCeiling(0)).toBe(1);
    expect(niceCeiling(0.0123)).toBeCloseTo(0.015, 10);
  });

  it('xyChart quotes labels safely and prints plain numbers', () => {
    const chart = xyChart({ title: 'a "quoted" title', xLabel: 'x', categories: ['W"1'], yLabel: 'y', yMax: 1.5, series: [{ kind: 'line', values: [0.123456, Number.NaN] }] });
    expect(chart).toContain('title "a  quoted  title"');
    expect(chart).toContain('["W 1"]');
    expect(chart).toContain('line [0.1235, 0]');
    expect(mermaidBlock(chart).split('\n')[0]).toBe('```mermaid');
  });
});
