import type { Inputs } from '../action/inputs.js';
import type { RunnerContext } from '../action/runner-context.js';
import { monthlyCapOf } from '../config/settings.js';
import type { Ports } from '../ports.js';
import { readLedger } from '../publish/ledger-store.js';
import { ledgerEntry, monthToDateCost, parseLedger } from '../records/ledger.js';
import { UserError } from '../util/errors.js';
import { formatUsd } from '../util/format.js';
import { discoverUnits } from './discover-units.js';
import { addPlan, eligibleUnits, planOfRun, progressOf, retryable, shareThePool, syncWorkList, type PlanRecord, type ShardWish } from './fanout-state.js';
import type { FanoutModeResult } from './fanout-mode.js';
import { openFanout, type Fanout, type FanoutTask } from './open-fanout.js';
import { renderPlanSummary } from './render-fanout.js';
import { readState, updateState } from './state-store.js';
import type { FanoutSpec } from './fanout-spec.js';
import { emptyOutcome } from '../records/run-outcome.js';
import { sweepCandidates, type SweepCandidate } from './sweep.js';
import { shardId, taskBranchOf } from './shard-id.js';
import { findUnits, type WorkList } from './work-list.js';

/**
 * `mode: plan`: the work list against the default branch, minus what is done or in progress, split into shards
 * with budget shares inside the pool, recorded on the ledger branch; the matrix carries only the shard ids.
 * A re-run of the same workflow run gets its plan back, never a second one.
 */
export async function runPlanMode(inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<FanoutModeResult> {
  const opened = await openFanout(inputs, ctx, ports);
  if (opened.kind !== 'go') return { status: opened.kind === 'skip' ? 'skipped' : 'refused', reason: opened.reason, outputs: { matrix: '{"shard":[]}', shards: '0' } };
  const f = opened.value;
  const ids: string[] = [];
  const summaries: string[] = [];
  const plans: string[] = [];
  for (const t of f.tasks) {
    const { plan, summary } = await planTask(f, t);
    summaries.push(summary);
    if (plan) {
      plans.push(`${t.name}/${plan.id}`);
      ids.push(...plan.shards.map((s) => shardId(t.name, plan.id, s.n)));
    }
  }
  // Only ids: GitHub limits a job's outputs, and the shards read their units from the plan itself.
  ports.log.info(`Plan: ${ids.length} shard${ids.length === 1 ? '' : 's'}${ids.length ? ` (${ids.join(', ')})` : ''}.`);
  return { status: 'completed', outputs: { matrix: JSON.stringify({ shard: ids }), shards: String(ids.length), plan: plans.join(',') }, summary: summaries.join('\n\n') };
}

async function planTask(f: Fanout, t: FanoutTask): Promise<{ plan?: PlanRecord; summary: string }> {
  const { ports, credentials, ctx } = f;
  const { git, clock, log } = ports;
  const spec = t.task.fanout;
  const now = new Date(clock.now()).toISOString();
  const cap = monthlyCapOf(f.config, f.inputs);
  if (cap !== undefined) {
    const spent = monthToDateCost(parseLedger(await readLedger(git, credentials.auth)), now);
    if (spent >= cap) {
      const note = `⛔ This month's taskcap spend is ${formatUsd(spent)}, which has reached the monthly cap of ${formatUsd(cap)} (max-monthly-cost-usd): no shard is planned.`;
      log.warn(note);
      const state = await updateState(git, credentials.auth, clock, t.name, t.kind, () => false);
      return { summary: renderPlanSummary({ task: t.name, progress: progressOf(state, spec.pool), pool: spec.pool, note, reused: false }) };
    }
  }

  // Read-only work first (git, the units command, GitHub): the state change below must be a pure function.
  let workList: string[] | undefined;
  let sweep: { candidates: SweepCandidate[]; skipped: { unit: string; reason: string }[] } | undefined;
  let note: string | undefined;
  let discovery: { loopTokens: number; costUsd: number } | undefined;
  const made = planOfRun(await readState(git, credentials.auth, t.name, t.kind), ctx.runId);
  if (made) {
    // A re-run of this run's plan job: the plan it made (nothing listed or spent again); none once it is collected.
    const state = await readState(git, credentials.auth, t.name, t.kind);
    const note = made.collected ? `This run's plan ${made.id} was already collected: nothing more to do in this run (the next run continues).` : undefined;
    return { plan: made.collected ? undefined : made, summary: renderPlanSummary({ task: t.name, plan: made.collected ? undefined : made, progress: progressOf(state, spec.pool), pool: spec.pool, reused: true, note }) };
  }
  if (spec.sweep) {
    sweep = await sweepCandidates(spec.sweep, t.task.class, spec.sweep.maxIssues * 2, { github: ports.github, config: f.config, allowedBots: f.inputs.allowedBots });
  } else if (spec.units) {
    let found: WorkList;
    if (spec.units.kind === 'discover') {
      const discovered = await discoverUnits(f, t, spec.units);
      discovery = discovered.spent;
      found = discovered;
    } else found = await findUnits(spec.units, { git, ports, task: t.name });
    if (found.rejected) note = `${found.rejected} line${found.rejected === 1 ? ' was' : 's were'} not a unit (too long, or with control characters) and left out.`;
    workList = found.units;
    log.info(`Work list of ${t.name}: ${workList.length} units.`);
  } else throw new UserError(`tasks.${t.name} has neither units nor sweep.`);

  let plan: PlanRecord | undefined;
  let reused = false;
  const state = await updateState(git, credentials.auth, clock, t.name, t.kind, (state) => {
    const before = JSON.stringify(state);
    const earlier = planOfRun(state, ctx.runId);
    reused = earlier !== undefined;
    if (earlier) {
      plan = earlier.collected ? undefined : earlier;
      return false;
    }
    let wishes: ShardWish[];
    let skipped: { unit: string; reason: string }[] = [];
    if (sweep) {
      const listed = sweep.candidates.map((c) => c.unit);
      syncWorkList(state, listed, now);
      skipped = [...sweep.skipped];
      const eligible: SweepCandidate[] = [];
      for (const c of sweep.candidates) {
        const u = state.units[c.unit];
        // An issue labeled again after its PR was closed is worked again, as a new label would.
        if (u.status === 'done') state.units[c.unit] = { status: 'pending', attempts: 0 };
        const unitNow = state.units[c.unit];
        if (unitNow.status === 'in-progress') skipped.push({ unit: c.unit, reason: `already in plan ${unitNow.plan}, not collected yet` });
        else if (!retryable(unitNow, spec.shard.maxAttempts)) skipped.push({ unit: c.unit, reason: `parked after ${unitNow.attempts} attempts: ${unitNow.reason ?? ''}` });
        else eligible.push(c);
      }
      wishes = eligible.slice(0, spec.sweep!.maxIssues).map((c) => ({ units: [c.unit], budget: c.budget, issue: { number: c.issue.number, className: c.className, actor: c.actor } }));
    } else {
      syncWorkList(state, workList!, now);
      const eligible = eligibleUnits(state, workList!, spec.shard.maxAttempts).slice(0, spec.maxUnits);
      wishes = [];
      for (let i = 0; i < eligible.length && wishes.length < spec.shard.maxShards; i += spec.shard.size) {
        wishes.push({ units: eligible.slice(i, i + spec.shard.size), budget: spec.shard.budget });
      }
    }
    // The discovery pass spent from this run's pool: the shards share what is left.
    const pool = discovery ? poolLeft(spec.pool, discovery) : spec.pool;
    const shards = shareThePool(wishes, pool);
    if (shards.length) plan = addPlan(state, shards, { run: ctx.runId, at: now, pool, skipped });
    if (discovery) {
      state.spent = { runs: state.spent.runs + 1, loopTokens: state.spent.loopTokens + discovery.loopTokens, costUsd: Math.round((state.spent.costUsd + discovery.costUsd) * 1e8) / 1e8 };
      const outcome = { ...emptyOutcome('completed'), className: 'explore', loopTokens: discovery.loopTokens, costUsd: discovery.costUsd };
      return { ledger: [ledgerEntry(outcome, { at: now, repository: `${ctx.owner}/${ctx.repo}`, runId: f.runKey, shard: `${t.name}/discover` })] };
    }
    return JSON.stringify(state) === before ? false : {};
  });
  if (plan && t.kind === 'migration') await ensureTaskBranch(f, taskBranchOf(t.name));
  return { plan, summary: renderPlanSummary({ task: t.name, plan, progress: progressOf(state, spec.pool), pool: spec.pool, note, reused }) };
}

function poolLeft(pool: FanoutSpec['pool'], spent: { loopTokens: number; costUsd: number }): FanoutSpec['pool'] {
  const tokens = Math.max(0, pool.tokens - spent.loopTokens);
  return pool.maxCostUsd === undefined ? { tokens } : { tokens, maxCostUsd: Math.max(0, Math.floor((pool.maxCostUsd - spent.costUsd) * 1e6) / 1e6) };
}

/**
 * The task branch is the migration's trunk: shards start from it and collect merges into it. Made once, at the
 * default branch's tip (a lease on "no such branch": a racing plan that made it first wins, which is the same).
 */
async function ensureTaskBranch(f: Fanout, branch: string): Promise<void> {
  const { git } = f.ports;
  const pushed = await git.run(['push', '--no-verify', `--force-with-lease=refs/heads/${branch}:`, 'origin', `HEAD:refs/heads/${branch}`], { env: f.credentials.auth, allowFailure: true });
  if (pushed.exitCode === 0) f.ports.log.info(`Made ${branch} at the default branch's tip.`);
}
