import { RECEIPT_MARKER } from '../render/receipt.js';
import { fitComment, formatMoney, plainText, safeUrl } from '../render/markdown.js';
import { formatInt } from '../util/format.js';
import type { FanoutSpec } from './fanout-spec.js';
import { shardTotals, type FanoutState, type PlanRecord, type Progress, type ShardPlan, type UnitStatus } from './fanout-state.js';

/**
 * What people read about a fan-out task: the plan (job summary of the plan job), the migration PR's body (progress
 * by unit, spend, forecast), the combined receipt (a row per shard, totals that are the sum of the rows), and the
 * sweep summary. Pure functions of the state.
 */

/** The migration PR carries this marker; the state on the ledger branch is the source of its progress. */
export const FANOUT_PR_MARKER = (task: string) => `<!-- taskcap:fanout task=${task} -->`;
export const SWEEP_MARKER = (task: string) => `<!-- taskcap:sweep task=${task} -->`;

const unit = (u: string) => plainText(u, 120);
const usdCell = (n: number) => formatMoney(n);

export function progressLine(p: Progress): string {
  const parts = [`**${formatInt(p.done)} / ${formatInt(p.total)} done**`, `${formatInt(p.remaining)} remaining`];
  if (p.failed) parts.push(`${formatInt(p.failed)} failed (to retry)`);
  if (p.parked) parts.push(`${formatInt(p.parked)} parked`);
  if (p.inProgress) parts.push(`${formatInt(p.inProgress)} in progress`);
  return parts.join(' · ');
}

export function spendLines(p: Progress, pool: FanoutSpec['pool']): string[] {
  const lines = [`- Spent so far: ${formatInt(p.spent.loopTokens)} loop tokens, ${formatMoney(p.spent.costUsd)} over ${formatInt(p.spent.runs)} shard runs.`];
  const poolText = `${formatInt(pool.tokens)} tokens${pool.maxCostUsd !== undefined ? ` / ${formatMoney(pool.maxCostUsd)}` : ''} per run`;
  if (p.forecast) {
    lines.push(
      `- Forecast for the ${formatInt(p.remaining)} remaining: about ${formatInt(p.forecast.loopTokens)} loop tokens, ${formatMoney(p.forecast.costUsd)} (the mean spend per done unit so far × remaining), about **${p.forecast.runs} more run${p.forecast.runs === 1 ? '' : 's'}** at the pool of ${poolText}.`,
    );
  } else if (p.remaining > 0) lines.push(`- No forecast yet: no unit is done. Pool: ${poolText}.`);
  return lines;
}

const STATUS_ICON: Record<UnitStatus, string> = { done: '✅', 'in-progress': '⏳', pending: '⬜', failed: '🔁', parked: '⛔' };

/** Units by status, the ones that need attention first; long lists are cut with a count (the state file has them all). */
export function unitTable(state: FanoutState, maxRows: number): string[] {
  const order: UnitStatus[] = ['parked', 'failed', 'in-progress', 'pending', 'done'];
  const rows = Object.entries(state.units).sort((a, b) => order.indexOf(a[1].status) - order.indexOf(b[1].status) || (a[0] < b[0] ? -1 : 1));
  const shown = rows.slice(0, maxRows);
  const lines = ['| | unit | status | attempts | note |', '|---|---|---|---:|---|'];
  for (const [name, u] of shown) lines.push(`| ${STATUS_ICON[u.status]} | ${unit(name)} | ${u.status}${u.plan ? ` (plan ${u.plan})` : ''} | ${u.attempts} | ${u.reason ? plainText(u.reason, 160) : ''} |`);
  if (rows.length > shown.length) lines.push('', `… and ${formatInt(rows.length - shown.length)} more units (all of them are in the state file).`);
  return lines;
}

/** The migration PR's body: progress, spend, forecast, the units. */
export function renderMigrationBody(o: { task: string; prompt: string; state: FanoutState; progress: Progress; pool: FanoutSpec['pool']; stateUrl: string; tests?: { command: string; passed: boolean } }): string {
  const { state, progress } = o;
  const lines = [
    `Fan-out task \`${o.task}\`: ${plainText(o.prompt, 300)}`,
    '',
    '## Progress',
    '',
    progressLine(progress),
    '',
    ...spendLines(progress, o.pool),
    '',
  ];
  if (o.tests) lines.push(`Tests on the merged work: \`${o.tests.command.replace(/`/g, "'")}\` ${o.tests.passed ? 'passed ✅' : 'failed ❌ (this PR stays a draft)'}.`, '');
  if (progress.parked) lines.push('⛔ Parked units failed `shard.max-attempts` times and are not retried; their notes say why. Fix them by hand on this branch, or raise `shard.max-attempts`.', '');
  lines.push('## Units', '', ...unitTable(state, 400), '', `<sub>taskcap fan-out · [state](${safeUrl(o.stateUrl) ?? ''}) · each run merges its shards here; re-run the workflow to continue</sub>`, '', FANOUT_PR_MARKER(o.task));
  return fitComment(lines.join('\n'));
}

/** One row of the combined receipt. */
export interface ReceiptRow {
  label: string;
  status: string;
  loopTokens: number;
  billed: { input: number; cacheWrite: number; cacheRead: number; output: number };
  costUsd: number;
  runs: number;
  url?: string;
  note?: string;
}

export function shardRows(plan: PlanRecord): ReceiptRow[] {
  return plan.shards.map((shard: ShardPlan) => {
    const t = shardTotals(shard);
    const last = shard.runs[shard.runs.length - 1];
    const outcome = shard.outcome?.merged !== undefined ? (shard.issue ? 'PR opened' : 'merged') : shard.outcome?.reason ? 'not merged' : '';
    return {
      label: shard.issue ? `plan ${plan.id} · #${shard.issue.number}` : `plan ${plan.id} · shard ${shard.n} (${shard.units.length} units)`,
      status: `${last?.status ?? 'did not run'}${outcome ? ` · ${outcome}` : ''}`,
      loopTokens: t.loopTokens,
      billed: t.billed,
      costUsd: t.costUsd,
      runs: shard.runs.length,
      url: last?.url,
      note: shard.outcome?.reason,
    };
  });
}

/** Σ of the rows, exactly (integers; dollars rounded to 1e-8 like the run records). */
export function sumRows(rows: ReceiptRow[]): Omit<ReceiptRow, 'label' | 'status' | 'url' | 'note'> {
  const sum = (f: (r: ReceiptRow) => number) => rows.reduce((a, r) => a + f(r), 0);
  return {
    loopTokens: sum((r) => r.loopTokens),
    billed: { input: sum((r) => r.billed.input), cacheWrite: sum((r) => r.billed.cacheWrite), cacheRead: sum((r) => r.billed.cacheRead), output: sum((r) => r.billed.output) },
    costUsd: Math.round(sum((r) => r.costUsd) * 1e8) / 1e8,
    runs: sum((r) => r.runs),
  };
}

/** The combined receipt: a row per shard of the plans this collect finished, totals equal to the sum of the rows. */
export function renderCombinedReceipt(o: { task: string; plans: PlanRecord[]; progress: Progress; pool: FanoutSpec['pool']; runUrl: string }): string {
  const rows = o.plans.flatMap(shardRows);
  const total = sumRows(rows);
  const b = (x: ReceiptRow['billed']) => `${formatInt(x.input)} / ${formatInt(x.cacheWrite)} / ${formatInt(x.cacheRead)} / ${formatInt(x.output)}`;
  const poolTokens = o.plans.reduce((a, p) => a + p.pool.tokens, 0);
  const lines = [
    RECEIPT_MARKER,
    `### taskcap fan-out receipt · \`${o.task}\``,
    '',
    `${progressLine(o.progress)} · this run: ${formatInt(total.loopTokens)} / ${formatInt(poolTokens)} pool tokens · ${formatMoney(total.costUsd)}`,
    '',
    '| shard | status | loop tokens | billed in / cache write / cache read / out | cost | runs | job |',
    '|---|---|---:|---|---:|---:|---|',
    ...rows.map((r) => `| ${r.label} | ${plainText(r.status, 80)} | ${formatInt(r.loopTokens)} | ${b(r.billed)} | ${usdCell(r.costUsd)} | ${r.runs} | ${safeUrl(r.url) ? `[run](${r.url})` : ''} |`),
    `| **total** | | **${formatInt(total.loopTokens)}** | **${b(total.billed)}** | **${usdCell(total.costUsd)}** | **${total.runs}** | [collect](${safeUrl(o.runUrl) ?? ''}) |`,
    '',
    ...spendLines(o.progress, o.pool),
  ];
  const notes = rows.filter((r) => r.note);
  if (notes.length) lines.push('', '<details><summary>Why some shards were not merged</summary>', '', ...notes.map((r) => `- ${r.label}: ${plainText(r.note!, 300)}`), '', '</details>');
  return fitComment(lines.join('\n'));
}

/** The plan job's summary: the shards and their shares, what was left out. */
export function renderPlanSummary(o: { task: string; plan?: PlanRecord; progress: Progress; pool: FanoutSpec['pool']; note?: string; reused: boolean }): string {
  const lines = [`## taskcap plan · \`${o.task}\``, ''];
  if (o.note) lines.push(o.note, '');
  const plan = o.plan;
  if (plan) {
    const budgets = plan.shards.reduce((a, s) => a + s.budget, 0);
    const dollars = plan.shards.reduce((a, s) => a + (s.maxCostUsd ?? 0), 0);
    lines.push(
      `Plan ${plan.id}${o.reused ? ' (already made by this run: the same plan again)' : ''}: ${plan.shards.length} shard${plan.shards.length === 1 ? '' : 's'}, ${formatInt(plan.shards.reduce((a, s) => a + s.units.length, 0))} units, ${formatInt(budgets)} of the pool's ${formatInt(o.pool.tokens)} tokens${o.pool.maxCostUsd !== undefined ? `, ${formatMoney(dollars)} of its ${formatMoney(o.pool.maxCostUsd)}` : ''}.`,
      '',
      '| shard | units | budget | cost cap |',
      '|---:|---|---:|---:|',
      ...plan.shards.map((s) => `| ${s.n} | ${s.issue ? `#${s.issue.number} (${s.issue.className}, labeled by ${plainText(s.issue.actor, 40)})` : s.units.slice(0, 5).map(unit).join(', ') + (s.units.length > 5 ? ` … (${s.units.length})` : '')} | ${formatInt(s.budget)} | ${s.maxCostUsd !== undefined ? formatMoney(s.maxCostUsd) : '–'} |`),
      '',
    );
    if (plan.skipped?.length) lines.push('Left out:', '', ...plan.skipped.map((s) => `- ${unit(s.unit)}: ${plainText(s.reason, 200)}`), '');
  } else lines.push('Nothing to do in this run.', '');
  lines.push(progressLine(o.progress), '', ...spendLines(o.progress, o.pool));
  return lines.join('\n');
}

/** The sweep summary: one row per issue of the collected plans, the issues left out, the totals. */
export function renderSweepSummary(o: { task: string; label: string; plans: PlanRecord[]; runUrl: string }): string {
  const rows = o.plans.flatMap(shardRows);
  const total = sumRows(rows);
  const lines = [
    SWEEP_MARKER(o.task),
    `## taskcap sweep · \`${o.task}\` · label \`${o.label.replace(/`/g, "'")}\``,
    '',
    '| issue | class | status | pull request | loop tokens | cost |',
    '|---|---|---|---|---:|---:|',
  ];
  for (const plan of o.plans) {
    for (const shard of plan.shards) {
      const last = shard.runs[shard.runs.length - 1];
      const t = shardTotals(shard);
      const pr = last?.pr ? (safeUrl(last.pr.url) ? `[#${last.pr.number}](${last.pr.url})` : `#${last.pr.number}`) : '';
      lines.push(`| #${shard.issue?.number ?? '?'} | ${shard.issue?.className ?? ''} | ${last?.status ?? 'did not run'} | ${pr} | ${formatInt(t.loopTokens)} | ${usdCell(t.costUsd)} |`);
    }
  }
  lines.push(`| **total** | | | | **${formatInt(total.loopTokens)}** | **${usdCell(total.costUsd)}** |`, '');
  const skipped = o.plans.flatMap((p) => p.skipped ?? []);
  if (skipped.length) lines.push('Left out:', '', ...skipped.map((s) => `- ${unit(s.unit)}: ${plainText(s.reason, 200)}`), '');
  lines.push(`<sub>[collect run](${safeUrl(o.runUrl) ?? ''})</sub>`);
  return fitComment(lines.join('\n'));
}
