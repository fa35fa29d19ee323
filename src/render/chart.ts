import type { RequestRow } from '../records/run-outcome.js';
import { formatInt } from '../util/format.js';

/**
 * Mermaid `xychart-beta` charts. GitHub renders mermaid in comments and job summaries; every chart taskcap draws
 * also has its numbers in a table next to it, so nothing depends on the chart rendering.
 */

/** More points than this make the x-axis labels unreadable. */
export const MAX_CHART_POINTS = 60;

export interface Series {
  kind: 'bar' | 'line';
  values: number[];
}

export interface XyChart {
  title: string;
  xLabel: string;
  /** One label per point, in order. */
  categories: string[];
  yLabel: string;
  /** Top of the y-axis; the bottom is 0. */
  yMax: number;
  series: Series[];
  /** Colors of the series in order (hex). Mermaid has no legend, so callers name the colors next to the chart. */
  palette?: string[];
}

/** Mermaid strings are quoted and cannot contain quotes; charts only label with our own text, but be safe. */
function quote(text: string): string {
  return `"${text.replace(/["\\\n\r`]/g, ' ')}"`;
}

/** Integers stay integers; anything else gets at most 4 decimals (dollars). No exponents, no thousands separators. */
function plotNumber(n: number): string {
  if (!Number.isFinite(n)) return '0';
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1e4) / 1e4);
}

/** The mermaid source of an xy chart (without the ``` fence). */
export function xyChart(c: XyChart): string {
  const lines: string[] = [];
  if (c.palette?.length) {
    // Per-diagram config in frontmatter: the only way to choose series colors in xychart-beta.
    lines.push('---', 'config:', '  themeVariables:', '    xyChart:', `      plotColorPalette: "${c.palette.join(', ')}"`, '---');
  }
  lines.push(
    'xychart-beta',
    `  title ${quote(c.title)}`,
    `  x-axis ${quote(c.xLabel)} [${c.categories.map(quote).join(', ')}]`,
    `  y-axis ${quote(c.yLabel)} 0 --> ${plotNumber(niceCeiling(c.yMax))}`,
    ...c.series.map((s) => `  ${s.kind} [${s.values.map(plotNumber).join(', ')}]`),
  );
  return lines.join('\n');
}

/** Wrap mermaid source in a fenced block. */
export function mermaidBlock(source: string): string {
  return ['```mermaid', source, '```'].join('\n');
}

/** A round axis top at or above `n` (1, 2 or 5 times a power of ten, halved steps above 10): 46,210 → 50,000. */
export function niceCeiling(n: number): number {
  if (!Number.isFinite(n) || n <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const top = step * power;
    if (top >= n) return power >= 1 ? Math.round(top) : top;
  }
  return 10 * power;
}

/**
 * Evenly spread indices into an array of `length`, at most `max` of them, always keeping the first and the last
 * (the last point of a run is the one a reader checks against the budget).
 */
export function sampleIndices(length: number, max = MAX_CHART_POINTS): number[] {
  if (length <= 0) return [];
  if (length <= max) return Array.from({ length }, (_, i) => i);
  if (max <= 1) return [length - 1];
  const picked = new Set<number>();
  for (let k = 0; k < max; k++) picked.add(Math.round((k * (length - 1)) / (max - 1)));
  return [...picked].sort((a, b) => a - b);
}

export interface LoopPoint {
  /** 1-based request number. */
  request: number;
  /** Cumulative loop tokens after the request. */
  loopAfter: number;
}

/**
 * One point per request number (a retried request counts once, with its last attempt's figure), downsampled to at
 * most `max` points. Loop tokens only grow, so the sampled line keeps the shape of the whole run.
 */
export function loopPoints(requests: readonly RequestRow[], max = MAX_CHART_POINTS): LoopPoint[] {
  const byRequest = new Map<number, number>();
  for (const r of requests) byRequest.set(r.index, r.loopAfter);
  const all = [...byRequest.entries()].sort((a, b) => a[0] - b[0]).map(([request, loopAfter]) => ({ request, loopAfter }));
  return sampleIndices(all.length, max).map((i) => all[i]);
}

/** Bar: cumulative loop tokens after each request. Line: the budget. Blue bars, red budget line. */
export function loopChart(requests: readonly RequestRow[], budget?: number): string {
  const points = loopPoints(requests);
  const shown = points.length ? points : [{ request: 0, loopAfter: 0 }];
  const top = Math.max(budget ?? 0, ...shown.map((p) => p.loopAfter));
  const series: Series[] = [{ kind: 'bar', values: shown.map((p) => p.loopAfter) }];
  if (budget !== undefined && budget > 0) series.push({ kind: 'line', values: shown.map(() => budget) });
  return xyChart({
    title: budget ? `Loop tokens per request (budget ${formatInt(budget)})` : 'Loop tokens per request',
    xLabel: points.length < requestCount(requests) ? 'request (sampled)' : 'request',
    categories: shown.map((p) => String(p.request)),
    yLabel: 'loop tokens',
    yMax: top,
    series,
    palette: ['#4C78A8', '#E45756'],
  });
}

function requestCount(requests: readonly RequestRow[]): number {
  return new Set(requests.map((r) => r.index)).size;
}
