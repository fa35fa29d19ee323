import { formatInt, formatPercent } from '../util/format.js';
import { ENOUGH_COMPLETED_RUNS, MIN_RECOMMENDED_BUDGET, type ClassSummary, type LedgerSummary, type SpendPeriod } from '../records/ledger.js';
import { mermaidBlock, xyChart } from './chart.js';
import { COMMENT_LIMIT, fitComment, formatMoney, plainText } from './markdown.js';

/** The spend report (`mode: report`): spend per class, how often runs hit a limit, and a recommended budget. */
/** Mermaid xychart has no legend: each class gets a color and the table names it with the matching square. */
const PALETTE = [
  { square: '🟦', hex: '#1F77B4' },
  { square: '🟧', hex: '#FF7F0E' },
  { square: '🟩', hex: '#2CA02C' },
  { square: '🟥', hex: '#D62728' },
  { square: '🟪', hex: '#9467BD' },
  { square: '🟫', hex: '#8C564B' },
  { square: '🟨', hex: '#E6B800' },
  { square: '⬛', hex: '#333333' },
];
const OTHER_CLASSES = 'other classes';
/** A quarter or more of runs stopping at a limit means the completed runs understate what the work needs. */
const HIGH_CAP_HIT_RATE = 0.25;

export interface LedgerReportOptions {
  title?: string;
  /** Month-to-date spend and the monthly cap, when `max-monthly-cost-usd` is set. */
  monthToDateUsd?: number;
  monthlyCapUsd?: number;
}

function recommendationCell(c: ClassSummary): string {
  if (c.recommendedBudget === undefined) return '— (no completed runs)';
  const value = `**${formatInt(c.recommendedBudget)}**`;
  return c.enoughData ? value : `${value} (not enough data: ${c.completed} completed)`;
}

function classTable(classes: readonly ClassSummary[]): string[] {
  return [
    '| class | runs | completed | cap-hit rate | p50 loop tokens | p90 loop tokens | mean cost | total cost | budget now | recommended budget |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...classes.map((c) =>
      [
        plainText(c.className, 40),
        formatInt(c.runs),
        formatInt(c.completed),
        `${formatPercent(c.capHits, c.runs)}${c.runs && c.capHitRate >= HIGH_CAP_HIT_RATE ? ' ⚠' : ''}`,
        c.p50 !== undefined ? formatInt(c.p50) : '—',
        c.p90 !== undefined ? formatInt(c.p90) : '—',
        formatMoney(c.meanCostUsd),
        formatMoney(c.totalCostUsd),
        c.currentBudget !== undefined ? formatInt(c.currentBudget) : '—',
        recommendationCell(c),
      ].join(' | '),
    ).map((row) => `| ${row} |`),
  ];
}

/** The classes that get their own line: the most expensive ones; the rest share one. */
function chartedClasses(summary: LedgerSummary): { names: string[]; rest: string[] } {
  const names = summary.classes.map((c) => c.className);
  if (names.length <= PALETTE.length) return { names, rest: [] };
  return { names: names.slice(0, PALETTE.length - 1), rest: names.slice(PALETTE.length - 1) };
}

function spendSection(summary: LedgerSummary): string[] {
  if (summary.spend.length === 0) return [];
  const { names, rest } = chartedClasses(summary);
  const columns = rest.length ? [...names, OTHER_CLASSES] : names;
  const valueOf = (p: SpendPeriod, column: string): number =>
    column === OTHER_CLASSES ? rest.reduce((s, n) => s + (p.byClass[n] ?? 0), 0) : (p.byClass[column] ?? 0);
  const unit = summary.bucket === 'day' ? 'day' : 'week';
  const chart = xyChart({
    title: `Spend per class per ${unit} (USD)`,
    xLabel: unit === 'day' ? 'day (UTC)' : 'ISO week',
    // `11-29` or `W48`: the year is in the table below.
    categories: summary.spend.map((p) => p.label.slice(5)),
    yLabel: 'USD',
    yMax: Math.max(0.01, ...summary.spend.flatMap((p) => columns.map((c) => valueOf(p, c)))),
    series: columns.map((c) => ({ kind: 'line' as const, values: summary.spend.map((p) => valueOf(p, c)) })),
    palette: columns.map((_, i) => PALETTE[i].hex),
  });
  const header = columns.map((c, i) => `${PALETTE[i].square} ${c === OTHER_CLASSES ? c : plainText(c, 40)}`);
  return [
    '',
    `#### Spend per class per ${unit}`,
    '',
    mermaidBlock(chart),
    '',
    `| ${unit} | ${header.join(' | ')} | total |`,
    `|---|${columns.map(() => '---:').join('|')}|---:|`,
    // The chart keeps empty periods (a true time axis); the table lists only the ones with runs.
    ...summary.spend
      .filter((p) => p.totalUsd > 0)
      .map((p) => `| ${p.label} | ${columns.map((c) => formatMoney(valueOf(p, c))).join(' | ')} | ${formatMoney(p.totalUsd)} |`),
  ];
}

function windowLine(summary: LedgerSummary): string {
  const from = (summary.since ?? summary.first)?.slice(0, 10);
  const to = (summary.now ?? summary.last)?.slice(0, 10);
  const span = from && to ? ` from ${from} to ${to} (UTC)` : '';
  return `${formatInt(summary.runs)} run${summary.runs === 1 ? '' : 's'}${span} · total ${formatMoney(summary.totalCostUsd)}`;
}

function monthLine(opts: LedgerReportOptions): string[] {
  if (opts.monthToDateUsd === undefined) return [];
  const cap = opts.monthlyCapUsd;
  const of = cap !== undefined ? ` of the ${formatMoney(cap)} monthly cap (${formatPercent(opts.monthToDateUsd, cap)})` : '';
  return ['', `Month to date: **${formatMoney(opts.monthToDateUsd)}**${of}.`];
}

const HOW_TO_READ =
  '_How to read this:_ loop tokens are what the budget caps. p50/p90 are nearest-rank percentiles of completed runs. ' +
  `The recommended budget is p90 × 1.25, rounded up to 1,000, at least ${formatInt(MIN_RECOMMENDED_BUDGET)}; below ${ENOUGH_COMPLETED_RUNS} completed runs it is a first guess. ` +
  'The cap-hit rate is the share of runs that stopped at a limit (budget, cost cap or time); ⚠ marks a class where a quarter or more did, ' +
  'so its completed runs understate what the work needs: treat the recommendation as a floor.';

/** Markdown for the job summary (and an optional issue comment) of `mode: report`. */
export function renderLedgerReport(summary: LedgerSummary, opts: LedgerReportOptions = {}): string {
  const lines = [`## ${plainText(opts.title ?? 'taskcap spend by class', 80)}`, ''];
  if (summary.entries === 0) {
    lines.push('No runs in the ledger for this period yet.', ...monthLine(opts));
    return lines.join('\n');
  }
  lines.push(windowLine(summary), ...monthLine(opts), '', ...classTable(summary.classes), ...spendSection(summary), '', HOW_TO_READ);
  // Fits a comment too (`report-issue`), even with a ledger full of odd class names.
  return fitComment(lines.join('\n'), COMMENT_LIMIT);
}
