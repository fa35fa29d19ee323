import fs from 'node:fs';
import type { Inputs } from '../action/inputs.js';
import { runUrl, type RunnerContext } from '../action/runner-context.js';
import type { Ports } from '../ports.js';
import { BOT_IDENTITY_ENV } from '../publish/identity.js';
import { LEDGER_BRANCH } from '../publish/ledger-store.js';
import { createOrUpdatePullRequest } from '../publish/pull-request.js';
import { upsertMarkedComment, upsertReceipt } from '../publish/receipt-comment.js';
import { ledgerEntry, type LedgerEntry } from '../records/ledger.js';
import { emptyOutcome } from '../records/run-outcome.js';
import { CredentialVault, credentialPaths } from '../agent/providers/credential-vault.js';
import { openPublishRepo } from '../publish/publish-repo.js';
import { runTestCommand } from '../run/run-tests.js';
import { guardWorkspace } from '../run/workspace-guard.js';
import { createAgentHome, createWorkbench } from '../tools/workbench.js';
import { DEFAULT_PROTECTED } from '../tools/protected-paths.js';
import { bestEffort } from '../util/best-effort.js';
import { UserError } from '../util/errors.js';
import { applyCollect, progressOf, type FanoutState, type PlanRecord, type ShardOutcome, type ShardPlan } from './fanout-state.js';
import type { FanoutModeResult } from './fanout-mode.js';
import { openFanout, type Fanout, type FanoutTask } from './open-fanout.js';
import { renderCombinedReceipt, renderMigrationBody, renderSweepSummary, shardRows, sumRows } from './render-fanout.js';
import { shardBranchOf, shardId, taskBranchOf } from './shard-id.js';
import { statePath, updateState } from './state-store.js';

/** A collect's claim on its plans holds others off this long at most (a collect that died without releasing it). */
const CLAIM_STALE_MS = 20 * 60_000;
/** How long a second collect waits for the first before giving up (it would find nothing left to do anyway). */
const CLAIM_WAIT_MS = 15 * 60_000;
const CLAIM_POLL_MS = 3_000;
/** Plans of other workflow runs are collected once they are this old (their shards may still be running before). */
const FOREIGN_PLAN_AGE_MS = 6 * 3600_000;

interface Collected {
  summary: string;
  pr?: { number: number; url: string };
  commentUrl?: string;
  rows: ReturnType<typeof shardRows>;
}

/**
 * `mode: collect` (after the matrix, `if: always()`): merge the shard branches into the task branch in a fixed order
 * (a conflicting shard's units go back with the reason), test the merged work, open or update the one PR with the
 * progress, post one combined receipt, record every shard run in the ledger, delete the merged shard branches. A
 * sweep gets its summary instead (each issue already has its own PR and receipt). Re-running it changes nothing.
 */
export async function runCollectMode(inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<FanoutModeResult> {
  const opened = await openFanout(inputs, ctx, ports);
  if (opened.kind !== 'go') return { status: opened.kind === 'skip' ? 'skipped' : 'refused', reason: opened.reason, outputs: {} };
  const f = opened.value;
  const results: Collected[] = [];
  for (const t of f.tasks) results.push(await collectTask(f, t));
  const rows = results.flatMap((r) => r.rows);
  const total = sumRows(rows);
  const last = results.filter((r) => r.pr).pop();
  return {
    status: 'completed',
    outputs: {
      'loop-tokens': String(total.loopTokens),
      'input-tokens': String(total.billed.input),
      'cache-write-tokens': String(total.billed.cacheWrite),
      'cache-read-tokens': String(total.billed.cacheRead),
      'output-tokens': String(total.billed.output),
      'cost-usd': total.costUsd.toFixed(6),
      'pr-number': last?.pr ? String(last.pr.number) : '',
      'pr-url': last?.pr?.url ?? '',
      'comment-url': results.map((r) => r.commentUrl).filter(Boolean).pop() ?? '',
      branch: f.tasks.length === 1 && f.tasks[0].kind === 'migration' ? taskBranchOf(f.tasks[0].name) : '',
    },
    summary: results.map((r) => r.summary).join('\n\n'),
  };
}

/** Plans this collect takes: its own run's, and other runs' once they are old enough to be finished or abandoned. */
function collectable(state: FanoutState, f: Fanout): PlanRecord[] {
  const now = f.ports.clock.now();
  return state.plans.filter((p) => !p.collected && (p.run === f.ctx.runId || now - Date.parse(p.at) >= FOREIGN_PLAN_AGE_MS));
}

async function collectTask(f: Fanout, t: FanoutTask): Promise<Collected> {
  const { log } = f.ports;
  const state = await claim(f, t);
  const plans = collectable(state, f);
  if (plans.length === 0) {
    log.info(`Collect ${t.name}: nothing to collect (no plan of this run is open).`);
    await deleteMergedBranches(f, t, state);
    return { summary: `## taskcap collect · \`${t.name}\`\n\nNothing to collect: this run's plan was already collected (or made no shard).`, rows: [] };
  }
  try {
    return t.kind === 'sweep' ? await collectSweep(f, t, plans) : await collectMigration(f, t, plans);
  } finally {
    await bestEffort(log, 'The collect claim could not be released', () => release(f, t, plans));
  }
}

/**
 * Claim the open plans for this collect (a leased write). Another collect holding them is waited for; when it is
 * done there is nothing left to collect, so two collects never merge, comment or record twice.
 */
async function claim(f: Fanout, t: FanoutTask): Promise<FanoutState> {
  const { clock, log, git } = f.ports;
  const deadline = clock.now() + CLAIM_WAIT_MS;
  for (;;) {
    let busy: string | undefined;
    const state = await updateState(git, f.credentials.auth, clock, t.name, t.kind, (s) => {
      busy = undefined;
      const now = clock.now();
      const plans = collectable(s, f);
      if (plans.length === 0) return false;
      const held = plans.find((p) => p.collecting && p.collecting.run !== f.runKey && now - Date.parse(p.collecting.at) < CLAIM_STALE_MS);
      if (held) {
        busy = held.collecting!.run;
        return false;
      }
      for (const p of plans) p.collecting = { run: f.runKey, at: new Date(now).toISOString() };
      return {};
    });
    if (!busy) return state;
    if (clock.now() >= deadline) throw new UserError(`Another collect (run ${busy}) is still collecting ${t.name}; re-run this job once it has finished.`);
    log.info(`Collect ${t.name}: waiting for the collect of run ${busy} to finish.`);
    await clock.sleep(CLAIM_POLL_MS);
  }
}

/** Give the claim back (a collect that failed midway: the next one starts over; what it merged stays merged). */
async function release(f: Fanout, t: FanoutTask, plans: PlanRecord[]): Promise<void> {
  const ids = new Set(plans.map((p) => p.id));
  await updateState(f.ports.git, f.credentials.auth, f.ports.clock, t.name, t.kind, (s) => {
    const mine = s.plans.filter((p) => ids.has(p.id) && p.collecting?.run === f.runKey);
    for (const p of mine) delete p.collecting;
    return mine.length ? {} : false;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Migration

async function collectMigration(f: Fanout, t: FanoutTask, plans: PlanRecord[]): Promise<Collected> {
  const { git, log, github, clock } = f.ports;
  const { auth } = f.credentials;
  const trunk = taskBranchOf(t.name);
  const spec = t.task.fanout;
  const fetched = await git.run(['fetch', '--no-tags', '--depth=50', 'origin', `+refs/heads/${trunk}:refs/remotes/origin/${trunk}`], { env: auth, allowFailure: true });
  const start = fetched.exitCode === 0 ? await git.output(['rev-parse', `refs/remotes/origin/${trunk}`]) : await git.output(['rev-parse', 'HEAD']);
  await git.run(['checkout', '--force', '-B', trunk, start]);

  const outcomes = new Map<number, Map<number, ShardOutcome>>();
  for (const plan of [...plans].sort((a, b) => a.id - b.id)) {
    const byShard = new Map<number, ShardOutcome>();
    for (const shard of [...plan.shards].sort((a, b) => a.n - b.n)) byShard.set(shard.n, await mergeShard(f, t, plan, shard));
    outcomes.set(plan.id, byShard);
  }
  const head = await git.output(['rev-parse', 'HEAD']);
  const mergedNow = head !== start;
  let tests: { command: string; passed: boolean } | undefined;
  if (f.inputs.testCommand && mergedNow) tests = await testMerged(f, f.inputs.testCommand, head);
  if (mergedNow) {
    // The merged commit by its id: whatever the test command's processes did to HEAD or the refs, this is what lands.
    await git.run(['push', '--no-verify', `--force-with-lease=refs/heads/${trunk}:${fetched.exitCode === 0 ? start : ''}`, 'origin', `${head}:refs/heads/${trunk}`], { env: auth });
    log.info(`Pushed the merged work to ${trunk} (${head.slice(0, 7)}).`);
  }

  // What the state will say once this collect is recorded: the PR and the receipt show it.
  const at = new Date(clock.now()).toISOString();
  const preview = await previewOf(f, t, plans, outcomes, at);
  const progress = progressOf(preview, spec.pool);
  const collectedPlans = preview.plans.filter((p) => plans.some((q) => q.id === p.id));
  const rows = collectedPlans.flatMap(shardRows);
  const receipt = renderCombinedReceipt({ task: t.name, plans: collectedPlans, progress, pool: spec.pool, runUrl: runUrl(f.ctx) });
  let pr = preview.pr;
  let commentUrl: string | undefined;
  const anyMerged = mergedNow || preview.plans.some((p) => p.shards.some((s) => s.outcome?.merged));
  if (anyMerged || pr) {
    const stateUrl = `${f.ctx.serverUrl}/${f.ctx.owner}/${f.ctx.repo}/blob/${LEDGER_BRANCH}/${statePath(t.name)}`;
    const body = f.redactor.redact(renderMigrationBody({ task: t.name, prompt: t.task.prompt, state: preview, progress, pool: spec.pool, stateUrl, tests }));
    const { pull, operation } = await createOrUpdatePullRequest(github, { branch: trunk, base: f.defaultBranch, title: `taskcap: ${t.name}`, body, draft: tests?.passed === false });
    pr = { number: pull.number, url: pull.url };
    log.info(`PR #${pull.number} ${operation}: ${pull.url}`);
    await bestEffort(log, 'The combined receipt could not be written', async () => {
      commentUrl = (await upsertReceipt(github, pull.number, f.redactor.redact(receipt))).url;
    });
  }
  await record(f, t, plans, outcomes, at, pr);
  await deleteMergedBranches(f, t, preview);
  const summary = [receipt.split('\n').slice(1).join('\n'), pr ? `\nPull request: ${pr.url}` : '\nNo pull request yet: no shard has merged work.'].join('\n');
  return { summary, pr, commentUrl, rows };
}

/**
 * Merge one shard's branch into the task branch (the checked-out HEAD). Not merged: a shard that did not run,
 * pushed nothing or failed its tests, and one whose merge conflicts (the merge is aborted, nothing half-done stays).
 * A shard already merged by an earlier attempt of this collect merges as "already up to date".
 */
async function mergeShard(f: Fanout, t: FanoutTask, plan: PlanRecord, shard: ShardPlan): Promise<ShardOutcome> {
  const { git, log } = f.ports;
  const { auth } = f.credentials;
  const id = shardId(t.name, plan.id, shard.n);
  const last = shard.runs[shard.runs.length - 1];
  if (!last) return { reason: `shard ${shard.n} did not run` };
  if (!last.commit) return { reason: `shard ${shard.n} ended ${last.status} without pushing work${last.reason ? ` (${last.reason})` : ''}` };
  if (last.testsPassed === false) return { reason: `the tests failed on shard ${shard.n}'s work, so it was not merged (its branch is kept)` };
  const branch = shardBranchOf(t.name, plan.id, shard.n);
  const fetched = await git.run(['fetch', '--no-tags', '--depth=50', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], { env: auth, allowFailure: true });
  if (fetched.exitCode !== 0) {
    const known = await git.run(['merge-base', '--is-ancestor', last.commit, 'HEAD'], { allowFailure: true });
    return known.exitCode === 0 ? { merged: await git.output(['rev-parse', 'HEAD']) } : { reason: `shard ${shard.n}'s branch ${branch} is gone` };
  }
  await deepenUntilMergeable(f, branch);
  const message = `taskcap: merge ${id} (${shard.units.length} unit${shard.units.length === 1 ? '' : 's'})`;
  const merged = await git.run(['merge', '--no-ff', '--no-edit', '-m', message, last.commit], { env: { ...BOT_IDENTITY_ENV }, allowFailure: true });
  if (merged.exitCode === 0) {
    log.info(`Merged ${id}.`);
    return { merged: await git.output(['rev-parse', 'HEAD']) };
  }
  const conflict = (await git.run(['diff', '--name-only', '--diff-filter=U'], { allowFailure: true })).stdout.split('\n').filter(Boolean);
  await git.run(['merge', '--abort'], { allowFailure: true });
  await git.run(['reset', '--hard', '-q', 'HEAD'], { allowFailure: true });
  log.warn(`Shard ${id} conflicts with the merged work${conflict.length ? ` in ${conflict.join(', ')}` : ''}: not merged; its units go back to the work list.`);
  return { conflict, reason: `shard ${shard.n}'s work conflicted with the merged work${conflict.length ? ` in ${conflict.slice(0, 5).join(', ')}` : ''}; planned again on top of it` };
}

/** A shallow checkout may lack the common ancestor of the task branch and a shard branch: fetch more until it has it. */
async function deepenUntilMergeable(f: Fanout, branch: string): Promise<void> {
  const { git } = f.ports;
  for (const deepen of ['--deepen=200', '--deepen=2000', '--unshallow']) {
    if ((await git.run(['merge-base', 'HEAD', `refs/remotes/origin/${branch}`], { allowFailure: true })).exitCode === 0) return;
    const trunk = (await git.output(['symbolic-ref', '--short', 'HEAD']).catch(() => '')) || undefined;
    const refs = [`+refs/heads/${branch}:refs/remotes/origin/${branch}`, ...(trunk ? [`+refs/heads/${trunk}:refs/remotes/origin/${trunk}`] : [])];
    await git.run(['fetch', '--no-tags', deepen, 'origin', ...refs], { env: f.credentials.auth, allowFailure: true });
  }
}

/**
 * The test command on the merged result: the shards' code, run like any agent command, under the same guard as a
 * run (credentials out of reach, .git/config and hooks put back before taskcap's git runs again). What it writes
 * is put back from taskcap's own repository.
 */
async function testMerged(f: Fanout, command: string, head: string): Promise<{ command: string; passed: boolean }> {
  const { git, log, cancel, clock } = f.ports;
  const vault = new CredentialVault(credentialPaths(f.ports.environment ?? {}, git.dir));
  const guard = await guardWorkspace(git, f.credentials, f.ctx.serverUrl, vault);
  const repo = await openPublishRepo(git);
  const home = createAgentHome();
  const sandbox = await f.ports.makeShell({ workspace: git.dir, agentHome: home });
  const bench = createWorkbench({
    workspace: git.dir,
    shell: sandbox.shell,
    home,
    protectedGlobs: [...DEFAULT_PROTECTED, f.inputs.configPath, ...f.inputs.protectedPaths],
    redact: (s) => f.redactor.redact(s),
    clock,
    passthroughEnv: f.inputs.allowedEnv,
  });
  try {
    const r = await log.group('Tests on the merged work', () => runTestCommand(command, { repo, startSha: head, bench, shell: sandbox.shell, cancel, log, redactor: f.redactor }));
    return { command, passed: r.passed };
  } finally {
    bench.dispose();
    await sandbox.dispose();
    fs.rmSync(home, { recursive: true, force: true });
    repo.dispose();
    await guard.release();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sweep

async function collectSweep(f: Fanout, t: FanoutTask, plans: PlanRecord[]): Promise<Collected> {
  const { github, log, clock } = f.ports;
  const outcomes = new Map<number, Map<number, ShardOutcome>>();
  for (const plan of plans) {
    outcomes.set(
      plan.id,
      new Map(
        plan.shards.map((s) => {
          const last = s.runs[s.runs.length - 1];
          const outcome: ShardOutcome = last?.pr ? { merged: `#${last.pr.number}` } : { reason: last ? `the run on #${s.issue?.number} ended ${last.status}${last.reason ? `: ${last.reason}` : ''}` : `#${s.issue?.number} was not worked on (the shard did not run)` };
          return [s.n, outcome];
        }),
      ),
    );
  }
  const at = new Date(clock.now()).toISOString();
  const preview = await previewOf(f, t, plans, outcomes, at);
  const collectedPlans = preview.plans.filter((p) => plans.some((q) => q.id === p.id));
  const sweep = t.task.fanout.sweep!;
  const summary = f.redactor.redact(renderSweepSummary({ task: t.name, label: sweep.label, plans: collectedPlans, runUrl: runUrl(f.ctx) }));
  let commentUrl: string | undefined;
  if (sweep.trackingIssue !== undefined) {
    const marker = summary.split('\n')[0];
    await bestEffort(log, `The sweep summary on #${sweep.trackingIssue} could not be written`, async () => {
      commentUrl = (await upsertMarkedComment(github, sweep.trackingIssue!, marker, summary)).url;
    });
  }
  await record(f, t, plans, outcomes, at);
  return { summary: summary.split('\n').slice(1).join('\n'), commentUrl, rows: collectedPlans.flatMap(shardRows) };
}

// ---------------------------------------------------------------------------------------------------------------
// Recording

/** The state as this collect will leave it (from the latest state on the branch). */
async function previewOf(f: Fanout, t: FanoutTask, plans: PlanRecord[], outcomes: Map<number, Map<number, ShardOutcome>>, at: string): Promise<FanoutState> {
  const state = await updateState(f.ports.git, f.credentials.auth, f.ports.clock, t.name, t.kind, () => false);
  const preview = structuredClone(state);
  for (const plan of plans) applyCollect(preview, plan.id, outcomes.get(plan.id) ?? new Map(), { run: f.runKey, at, maxAttempts: t.task.fanout.shard.maxAttempts });
  return preview;
}

/** Record the collect and every shard run of its plans in the ledger (lines the shards already wrote are not repeated). */
async function record(f: Fanout, t: FanoutTask, plans: PlanRecord[], outcomes: Map<number, Map<number, ShardOutcome>>, at: string, pr?: { number: number; url: string }): Promise<void> {
  const ids = new Set(plans.map((p) => p.id));
  await updateState(f.ports.git, f.credentials.auth, f.ports.clock, t.name, t.kind, (s) => {
    const ledger: LedgerEntry[] = [];
    for (const plan of s.plans.filter((p) => ids.has(p.id) && !p.collected)) {
      for (const shard of plan.shards) for (const run of shard.runs) ledger.push(ledgerLineOf(f, t, plan, shard, run));
      applyCollect(s, plan.id, outcomes.get(plan.id) ?? new Map(), { run: f.runKey, at, maxAttempts: t.task.fanout.shard.maxAttempts });
    }
    if (pr) s.pr = pr;
    return { ledger };
  });
}

function ledgerLineOf(f: Fanout, t: FanoutTask, plan: PlanRecord, shard: ShardPlan, run: ShardPlan['runs'][number]): LedgerEntry {
  const outcome = {
    ...emptyOutcome(run.status),
    className: shard.issue?.className ?? t.task.class,
    budget: shard.budget,
    loopTokens: run.loopTokens,
    billed: { input: run.billed.input, cacheWrite5m: run.billed.cacheWrite, cacheWrite1h: 0, cacheRead: run.billed.cacheRead, output: run.billed.output, thinking: 0 },
    costUsd: run.costUsd,
    turns: run.turns,
  };
  return ledgerEntry(outcome, { at: run.at, repository: `${f.ctx.owner}/${f.ctx.repo}`, runId: run.run, shard: shardId(t.name, plan.id, shard.n), issue: shard.issue?.number, pr: run.pr?.number });
}

/** Merged shard branches are deleted once the collect is recorded (a later collect finishes what an interrupted one left). */
async function deleteMergedBranches(f: Fanout, t: FanoutTask, state: FanoutState): Promise<void> {
  const { git, log } = f.ports;
  const merged = state.plans.flatMap((p) => p.shards.filter((s) => !s.issue && s.outcome?.merged).map((s) => shardBranchOf(t.name, p.id, s.n)));
  if (merged.length === 0) return;
  const listed = await git.run(['ls-remote', '--heads', 'origin', ...merged.map((b) => `refs/heads/${b}`)], { env: f.credentials.auth, allowFailure: true });
  const present = listed.stdout.split('\n').map((l) => l.split('\t')[1]).filter(Boolean);
  if (present.length === 0) return;
  const deleted = await git.run(['push', '--no-verify', 'origin', ...present.map((r) => `:${r}`)], { env: f.credentials.auth, allowFailure: true });
  if (deleted.exitCode === 0) log.info(`Deleted ${present.length} merged shard branch${present.length === 1 ? '' : 'es'}.`);
  else log.warn(`The merged shard branches could not be deleted: ${f.redactor.redact(deleted.stderr.trim())}`);
}
