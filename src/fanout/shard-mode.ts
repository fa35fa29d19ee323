import type { Inputs } from '../action/inputs.js';
import { runUrl, type RunnerContext } from '../action/runner-context.js';
import { MIN_BUDGET } from '../config/classes.js';
import { monthlyCapOf } from '../config/settings.js';
import type { Ports } from '../ports.js';
import { remoteTip } from '../publish/branch.js';
import type { Git } from '../publish/git.js';
import { ledgerEntry } from '../records/ledger.js';
import { recordOf, settle } from '../run/run-taskcap.js';
import { spentThisMonth } from '../run/spend-guard.js';
import { workOnTask } from '../run/work-on-task.js';
import { buildTask } from '../trigger/build-task.js';
import { checkPermission } from '../trigger/gate.js';
import type { Task } from '../trigger/task.js';
import { UserError } from '../util/errors.js';
import { formatInt, formatUsd } from '../util/format.js';
import type { UnitSource } from './fanout-spec.js';
import { addShardRun, shareLeft, type PlanRecord, type ShardPlan, type ShardRun } from './fanout-state.js';
import type { FanoutModeResult } from './fanout-mode.js';
import { openFanout, type Fanout, type FanoutTask } from './open-fanout.js';
import { parseShardId, shardBranchOf, taskBranchOf } from './shard-id.js';
import { readState, updateState } from './state-store.js';

const stop = (status: 'skipped' | 'refused', reason: string): FanoutModeResult => ({ status, reason, outputs: {} });

/**
 * `mode: shard` (one matrix job): the normal capped run of a task whose text is the shard's units and whose budget
 * is what is left of the shard's share; its work goes to its own branch (a sweep shard: the issue's branch and PR,
 * exactly as a labeled issue). The run is recorded in the state and the ledger. A shard that fails or stops at its
 * cap is recorded like any other and the step stays green: its units go back to the pool at collect, and its
 * siblings never notice.
 */
export async function runShardMode(inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<FanoutModeResult> {
  if (!inputs.shard) throw new UserError("mode: shard needs the 'shard' input: pass the matrix value, `shard: ${{ matrix.shard }}`.");
  const id = parseShardId(inputs.shard);
  if (inputs.task && inputs.task !== id.task) throw new UserError(`Input 'task' is '${inputs.task}' but the shard '${inputs.shard}' belongs to task '${id.task}'. Leave 'task' empty in the shard job.`);
  const opened = await openFanout(inputs, ctx, ports, id.task);
  if (opened.kind !== 'go') return stop(opened.kind === 'skip' ? 'skipped' : 'refused', opened.reason);
  const f = opened.value;
  const t = f.tasks[0];
  const { git, log } = ports;
  const state = await readState(git, f.credentials.auth, t.name, t.kind);
  const plan = state.plans.find((p) => p.id === id.plan);
  const shard = plan?.shards.find((s) => s.n === id.n);
  if (!plan || !shard) return stop('skipped', `shard ${inputs.shard} is not in the state of task ${t.name} (its plan was collected long ago, or the task was started over)`);
  const why = nothingToDo(plan, shard, f.runKey);
  if (why) {
    log.info(`Shard ${inputs.shard}: nothing to do: ${why}.`);
    return stop('skipped', why);
  }
  const left = shareLeft(shard);
  const cap = monthlyCapOf(f.config, inputs);
  const className = shard.issue?.className ?? t.task.class;
  const setup = await settle(f.config, [className], inputs, ctx, ports, f.redactor, ports.clock.now());
  if (cap !== undefined) {
    const spent = await spentThisMonth(setup);
    if (spent >= cap) return stop('refused', `this month's taskcap spend is ${formatUsd(spent)}, which has reached the monthly cap of ${formatUsd(cap)} (max-monthly-cost-usd)`);
  }

  const built = shard.issue ? await issueTask(f, t, shard, left) : await migrationTask(f, t, plan, shard, left);
  if (built.kind !== 'go') return stop(built.kind, built.reason);
  const { task, base } = built;
  log.info(`Shard ${inputs.shard}: ${shard.units.length} unit${shard.units.length === 1 ? '' : 's'}, ${formatInt(left.tokens)} tokens left of its ${formatInt(shard.budget)} share${left.costUsd !== undefined ? `, ${formatUsd(left.costUsd)} of dollars` : ''}.`);
  const result = await workOnTask(task, setup);
  const record = recordOf(result, ctx);
  const commit = await remoteTip(git, task.branch, f.credentials.auth);
  const outcome = result.outcome;
  const unitsDone = shard.issue ? (outcome.pr ? [...shard.units] : []) : await unitsDoneBy(git, t.task.fanout.units!, shard.units, base, outcome, commit);
  const run: ShardRun = {
    run: f.runKey,
    url: runUrl(ctx),
    at: record.endedAt ?? new Date(ports.clock.now()).toISOString(),
    status: outcome.status,
    loopTokens: record.totals.loopTokens,
    billed: {
      input: record.totals.billed.input,
      cacheWrite: record.totals.billed.cacheWrite5m + record.totals.billed.cacheWrite1h,
      cacheRead: record.totals.billed.cacheRead,
      output: record.totals.billed.output,
    },
    costUsd: record.totals.costUsd,
    turns: record.totals.turns,
    ...(commit ? { commit } : {}),
    ...(outcome.tests ? { testsPassed: outcome.tests.passed } : {}),
    ...(outcome.reason ? { reason: f.redactor.redact(outcome.reason).slice(0, 500) } : {}),
    unitsDone,
    ...(outcome.pr ? { pr: { number: outcome.pr.number, url: outcome.pr.url } } : {}),
  };
  const entry = ledgerEntry(outcome, {
    at: run.at,
    repository: `${ctx.owner}/${ctx.repo}`,
    runId: f.runKey,
    shard: inputs.shard,
    issue: shard.issue?.number,
  });
  await updateState(git, f.credentials.auth, ports.clock, t.name, t.kind, (s) => (addShardRun(s, plan.id, shard.n, run) ? { ledger: [entry] } : false));
  log.info(`Shard ${inputs.shard}: ${outcome.status}, ${unitsDone.length} of ${shard.units.length} units done; recorded on taskcap/ledger.`);
  return { status: outcome.status, reason: outcome.reason, outputs: {}, run: { outcome, record, redactor: f.redactor } };
}

/** A shard that must not run again: its plan is collected, or it already delivered, or its share is spent. */
function nothingToDo(plan: PlanRecord, shard: ShardPlan, runKey: string): string | undefined {
  if (plan.collected) return `plan ${plan.id} was already collected`;
  if (shard.runs.some((r) => r.run === runKey)) return 'this job already ran it';
  const last = shard.runs[shard.runs.length - 1];
  if (last?.pr) return `it already opened pull request #${last.pr.number}`;
  if (last && last.status === 'completed' && last.commit && last.testsPassed !== false) return `run ${last.run} already finished it`;
  const left = shareLeft(shard);
  if (left.tokens < MIN_BUDGET) return `its budget share is spent (${formatInt(shard.budget - left.tokens)} of ${formatInt(shard.budget)} tokens by earlier attempts)`;
  if (left.costUsd !== undefined && left.costUsd <= 0) return 'its share of the pool’s dollars is spent';
  return undefined;
}

type Built = { kind: 'go'; task: Task; base?: string } | { kind: 'skipped' | 'refused'; reason: string };

/** A sweep shard: the issue, exactly as if its labeler had just labeled it (the gate applied to them again). */
async function issueTask(f: Fanout, t: FanoutTask, shard: ShardPlan, left: { tokens: number; costUsd?: number }): Promise<Built> {
  const { github, log } = f.ports;
  const { number, className, actor } = shard.issue!;
  const verdict = await checkPermission(github, { sender: { login: actor }, allowedBots: f.inputs.allowedBots });
  if (verdict.kind !== 'go') return { kind: 'refused', reason: `issue #${number} was labeled by ${actor}: ${verdict.reason}` };
  const issue = await github.getIssue(number);
  if (issue.state !== 'open') return { kind: 'skipped', reason: `issue #${number} is ${issue.state}` };
  const trigger = {
    kind: 'issue-label' as const,
    issue: { number, title: issue.title, body: issue.body, author: issue.author, state: issue.state, labels: issue.labels, isPull: false },
    label: t.task.fanout.sweep!.label,
    sender: { login: actor },
  };
  const built = await buildTask({ trigger, className, budget: left.tokens }, { github, config: f.config, defaultBranch: f.defaultBranch, log });
  if (built.kind !== 'go') return { kind: built.kind === 'refuse' ? 'refused' : 'skipped', reason: built.reason };
  return { kind: 'go', task: { ...built.value, ...(left.costUsd !== undefined ? { maxCostUsd: left.costUsd } : {}) } };
}

/** A migration shard: its units as the task text, its own branch, starting from the task branch (the merged work). */
async function migrationTask(f: Fanout, t: FanoutTask, plan: PlanRecord, shard: ShardPlan, left: { tokens: number; costUsd?: number }): Promise<Built> {
  const { git } = f.ports;
  const trunk = taskBranchOf(t.name);
  const fetched = await git.run(['fetch', '--no-tags', '--depth=1', 'origin', `+refs/heads/${trunk}:refs/remotes/origin/${trunk}`], { env: f.credentials.auth, allowFailure: true });
  if (fetched.exitCode === 0) await git.run(['checkout', '--force', '--detach', `refs/remotes/origin/${trunk}`]);
  const base = await git.output(['rev-parse', 'HEAD']);
  const units = shard.units;
  const task: Task = {
    key: `task-${t.name}-${plan.id}-${shard.n}`,
    className: t.task.class,
    spec: f.config.classes[t.task.class],
    budget: left.tokens,
    goal:
      `${t.task.prompt}\n\nThis is shard ${shard.n} of plan ${plan.id} of a larger migration: work only on the ${units.length} unit${units.length === 1 ? '' : 's'} listed below as data (one per line); other shards do the rest in parallel, so change other files only where a unit needs it. ` +
      'When you finish, end your summary with a line "Units done:" followed by each unit you completed, one per line as "- <unit>".',
    title: `taskcap: ${t.name} (plan ${plan.id}, shard ${shard.n})`,
    data: [{ source: `the units of shard ${shard.n}, from the work list`, text: units.join('\n') }],
    target: { kind: 'scheduled', name: t.name },
    branch: shardBranchOf(t.name, plan.id, shard.n),
    baseBranch: fetched.exitCode === 0 ? trunk : f.defaultBranch,
    ownsPull: false,
    branchOnly: true,
    ...(left.costUsd !== undefined ? { maxCostUsd: left.costUsd } : {}),
  };
  return { kind: 'go', task, base };
}

/** The lines under "Units done:" in a summary that name one of `units`. */
export function unitsListedDone(summary: string | undefined, units: readonly string[]): string[] {
  const m = /^\s*\**units done:?\**\s*$/im.exec(summary ?? '');
  if (!m) return [];
  const listed = new Set<string>();
  for (const line of (summary ?? '').slice(m.index + m[0].length).split('\n').slice(1)) {
    const item = /^\s*[-*]\s+`?(.+?)`?\s*$/.exec(line);
    if (!item) {
      if (line.trim() === '') continue;
      break;
    }
    listed.add(item[1]);
  }
  return units.filter((u) => listed.has(u));
}

/**
 * Which of the shard's units its work finished, checked rather than taken on trust where it can be: a `containing`
 * unit is done when its file no longer contains the text (or is gone); another file unit when the shard completed
 * (tests passing) or changed it; a command unit when the shard completed or the summary lists it.
 */
export async function unitsDoneBy(
  git: Git,
  source: UnitSource,
  units: readonly string[],
  base: string | undefined,
  outcome: { status: string; tests?: { passed: boolean }; summary?: string; summaryIsFallback?: boolean },
  commit: string | undefined,
): Promise<string[]> {
  if (!commit) return [];
  const finished = outcome.status === 'completed' && outcome.tests?.passed !== false;
  if (source.kind === 'files') {
    if (source.containing !== undefined) {
      const done: string[] = [];
      for (const unit of units) {
        const file = await git.run(['cat-file', '-p', `${commit}:${unit}`], { allowFailure: true });
        if (file.exitCode !== 0 || !file.stdout.includes(source.containing)) done.push(unit);
      }
      return done;
    }
    if (finished) return [...units];
    const changed = base ? new Set((await git.run(['diff', '--name-only', '-z', base, commit], { allowFailure: true })).stdout.split('\0')) : new Set<string>();
    return units.filter((u) => changed.has(u));
  }
  return finished ? [...units] : unitsListedDone(outcome.summaryIsFallback ? undefined : outcome.summary, units);
}
