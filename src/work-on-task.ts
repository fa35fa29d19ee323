import fs from 'node:fs';
import path from 'node:path';
import { runLoop, type LoopOutcome } from './agent/loop.js';
import type { ModelPort } from './agent/model.js';
import { buildFirstMessage, SYSTEM_PROMPT } from './agent/prompt.js';
import { closingReserve } from './budget/preflight.js';
import { pricesFor } from './budget/usage.js';
import type { TaskcapConfig } from './config/config.js';
import { effortFor, type ModelSpec } from './config/models.js';
import type { GitHub, PullRequest } from './github/github.js';
import type { Inputs } from './inputs.js';
import type { Clock, Log } from './ports.js';
import { BOT_NAME, onlyOurCommitsSince, prepareBranch, remoteTip, type BranchState } from './publish/branch.js';
import { authEnv, findCheckoutCredentials, headerForToken, hideCredentials } from './publish/credentials.js';
import type { Git } from './publish/git.js';
import { openPublishRepo, pushCommit, type PublishRepo } from './publish/publish-repo.js';
import { createOrUpdatePullRequest } from './publish/pull-request.js';
import { revertSince, snapshotWorkTree } from './publish/revert-work-tree.js';
import { commitPatch, stagePatch } from './publish/stage-patch.js';
import { LiveReceipt } from './publish/live-receipt.js';
import { findReceipt, postNotice, upsertMarkedComment, upsertReceipt } from './publish/receipt-comment.js';
import { appendHistory, historyRowOf, readHistory } from './report/history.js';
import { renderPullBody } from './report/pull-body.js';
import { renderReceipt } from './report/receipt.js';
import type { ToolCallMeta } from './report/run-record.js';
import { emptyReport, type HistoryRow, type RunReport, type Status, type TestResult } from './report/run-report.js';
import { runUrl, type RunnerContext } from './runner-context.js';
import { capText, plainTerminalText } from './tools/output-cap.js';
import type { SandboxShell } from './tools/sandbox.js';
import { containmentBreach } from './tools/shell.js';
import { TOOL_RESULT_BYTES } from './tools/toolbox.js';
import { createAgentHome, createWorkbench, type Workbench } from './tools/workbench.js';
import type { Task } from './trigger/task.js';
import { defuse, untrustedLine } from './util/defuse.js';
import { errorMessage } from './util/errors.js';
import type { Redactor } from './util/redact.js';

/** The world as taskcap sees it. Only the entry module builds real ones. */
export interface Ports {
  github: GitHub;
  /** Built only once a run will call the model (a skipped or refused event needs no key). */
  makeModel: (apiKey: string) => Promise<ModelPort>;
  git: Git;
  /** The shell for agent commands: a bubblewrap sandbox when one can be made (per the `sandbox` input). */
  makeShell: (opts: { workspace: string; agentHome: string }) => Promise<SandboxShell>;
  clock: Clock;
  log: Log;
  /** Aborted on SIGINT/SIGTERM (a cancelled workflow). */
  cancel: AbortSignal;
  /** The step's environment, for the redactor (secret-named variables). */
  environment?: Record<string, string | undefined>;
}

/** What every task of one run shares. */
export interface RunSetup {
  inputs: Inputs & { anthropicApiKey: string };
  ctx: RunnerContext;
  ports: Ports;
  config: TaskcapConfig;
  redactor: Redactor;
  started: number;
  /** Protected paths: the defaults, the config file, and the `protected-paths` input. */
  protectedGlobs: string[];
  /** Extra environment for agent commands (the `allowed-env` input). */
  passthroughEnv: Record<string, string>;
  model: (task: Task) => ModelSpec;
}

/** Time the closing turn may take after the wall clock ran out. */
const CLOSING_GRACE_MS = 60_000;
const TEST_TIMEOUT_MS = 10 * 60_000;
const TEST_OUTPUT_BYTES = 6_000;
/** A model reply line that answers a review comment: `- [comment 123] what was done`. */
const THREAD_ANSWER = /^\s*[-*]\s*\[comment (\d+)\]\s*(.+)$/gm;

/**
 * Credentials for taskcap's own git calls: the header checkout persisted (or one made from the token), passed
 * command-scoped, never written to disk; registered with the redactor so it can never be echoed.
 */
export async function gitAuth(s: Pick<RunSetup, 'ctx' | 'inputs' | 'redactor' | 'ports'>) {
  const creds = await findCheckoutCredentials(s.ports.git, s.ctx.serverUrl);
  const header = creds.header ?? headerForToken(s.inputs.githubToken);
  s.redactor.add(header).add(header.replace(/^AUTHORIZATION:\s*basic\s+/i, ''));
  return { creds, auth: authEnv(s.ctx.serverUrl, header) };
}

/** A task's report plus what only the run record keeps. */
export interface TaskResult {
  report: RunReport;
  toolCalls: ToolCallMeta[];
  limitsHit: string[];
  startedAt: string;
  endedAt: string;
}

/** The run id as history rows and ledger lines name it: a re-run attempt gets its own row. */
export const runIdOf = (ctx: RunnerContext) => (ctx.runAttempt > 1 ? `${ctx.runId}-${ctx.runAttempt}` : ctx.runId);

/** Prepare the branch, run the capped loop, run the tests, publish. Returns this task's report. */
export async function workOnTask(task: Task, s: RunSetup): Promise<TaskResult> {
  const startedAt = new Date(s.ports.clock.now()).toISOString();
  const result = (report: RunReport, outcome?: LoopOutcome): TaskResult => ({
    report,
    toolCalls: (outcome?.tools ?? []).map((t) => ({ name: t.name, durationMs: t.durationMs, resultBytes: t.resultBytes, isError: t.isError })),
    limitsHit: limitsOf(report, outcome),
    startedAt,
    endedAt: new Date(s.ports.clock.now()).toISOString(),
  });
  const { inputs, ports } = s;
  const model = s.model(task);
  const maxCostUsd = task.spec.maxCostUsd ?? s.config.maxCostUsd ?? inputs.maxCostUsd;
  const effort = effortFor(model, task.spec.effort);

  // The sandbox first: under `sandbox: required` a runner that cannot make one fails before any write. Its probe
  // runs while the branch, the PR and the receipt are looked up.
  const agentHome = createAgentHome();
  const sandboxReady = ports.makeShell({ workspace: ports.git.dir, agentHome });
  const lookups = lookUp(task, s);
  // The model client is a large module to compile: it loads once the probe's processes and the lookups are started.
  const client = new Promise<void>((resolve) => setImmediate(resolve)).then(() => ports.makeModel(inputs.anthropicApiKey));
  client.catch(() => undefined);
  const sandbox = await sandboxReady.catch(async (e) => {
    await lookups.catch(() => undefined);
    throw e;
  });
  ports.log.debug('sandbox ready');
  try {
    return await workInSandbox(task, s, sandbox, await lookups, { model, maxCostUsd, effort, result, agentHome, client });
  } finally {
    await sandbox.dispose();
  }
}

/** What the run needs to know before it starts, read concurrently: credentials, the branch tip, the PR, the receipt. */
async function lookUp(task: Task, s: RunSetup) {
  const { github, git } = s.ports;
  const credentials = gitAuth(s);
  const [{ creds, auth }, tip, existingPull, receipt] = await Promise.all([
    credentials,
    credentials.then(({ auth }) => remoteTip(git, task.branch, auth)),
    task.ownsPull ? github.findOpenPull(task.branch) : Promise.resolve(undefined),
    task.receiptOn !== undefined ? findReceipt(github, task.receiptOn) : Promise.resolve(undefined),
  ]);
  return { creds, auth, existingPull, receipt, tip };
}

async function workInSandbox(
  task: Task,
  s: RunSetup,
  sandbox: SandboxShell,
  found: Awaited<ReturnType<typeof lookUp>>,
  t: { model: ModelSpec; maxCostUsd?: number; effort?: ReturnType<typeof effortFor>; result: (r: RunReport, o?: LoopOutcome) => TaskResult; agentHome: string; client: Promise<ModelPort> },
): Promise<TaskResult> {
  const { inputs, ctx, ports, redactor } = s;
  const { github, git, log, clock } = ports;
  const { model, maxCostUsd, effort, result } = t;
  const { creds, auth, existingPull, receipt } = found;
  // An existing branch is always continued: it holds earlier work (even when its PR could not be opened or was
  // closed), and starting over would overwrite it. Deleting the branch starts a task from scratch.
  const branch = await prepareBranch(git, task.branch, auth, true, found.tip);
  log.debug('branch ready');
  // A re-run of a job whose first attempt pushed finds taskcap's own commits on top of the requested head: fine.
  const movedByOthers = task.target.kind === 'pull' && branch.startSha !== task.target.headSha && !(await onlyOurCommitsSince(git, task.target.headSha, branch.startSha));
  if (task.target.kind === 'pull' && movedByOthers) {
    const reason = `The head of pull request #${task.target.number} moved after the request (asked at ${task.target.headSha.slice(0, 7)}, now ${branch.startSha.slice(0, 7)}); nothing was done. Ask again to work on the new head.`;
    if (!inputs.dryRun) await postNotice(github, task.target.number, 'head-moved', reason, log);
    return result({ ...emptyReport('failed', reason), className: task.className, budget: task.budget, branch: task.branch });
  }
  log.info(
    `Task ${task.key}: class ${task.className}, budget ${task.budget}, model ${model.id}${effort ? ` (effort ${effort})` : ''}, branch ${branch.branch}${branch.continued ? ' (continuing earlier work)' : ''}.`,
  );
  if (task.triggerComment && !inputs.dryRun) await github.react(task.triggerComment, 'eyes').catch((e) => log.warn(`Could not react to the request: ${errorMessage(e)}`));

  // The receipt appears when work starts and follows the spend; its history block carries earlier runs' totals.
  const prior: HistoryRow[] = receipt ? readHistory(receipt.body) : [];
  const live =
    task.receiptOn !== undefined && !inputs.dryRun
      ? new LiveReceipt(github, task.receiptOn, receipt?.id, clock, log, (t) => redactor.redact(t))
      : undefined;
  const progressBase = { className: task.className, budget: task.budget, model: model.id, effort, runUrl: runUrl(ctx), history: prior };
  // Posted alongside the first request, not before it.
  live?.start({ ...progressBase, loopTokens: 0, costUsd: 0, requests: 0, step: 'starting' });

  const restoreCredentials = await hideCredentials(git, creds, ctx.serverUrl);
  const gitConfigPath = path.join(git.dir, '.git', 'config');
  const gitConfig = fs.readFileSync(gitConfigPath);
  const hooks = snapshotDir(path.join(git.dir, '.git', 'hooks'));
  // taskcap's own repository for staging and pushing, made before the agent runs (see publish-repo.ts).
  const publishRepo = await openPublishRepo(git);
  const bench = createWorkbench({
    workspace: git.dir,
    shell: sandbox.shell,
    home: t.agentHome,
    protectedGlobs: s.protectedGlobs,
    redact: (t) => redactor.redact(t),
    clock,
    passthroughEnv: s.passthroughEnv,
  });
  let outcome: LoopOutcome | undefined;
  let tests: TestResult | undefined;
  let crash: unknown;
  let hiddenRemoved = 0;
  try {
    const first = buildFirstMessage(task, {
      repository: `${ctx.owner}/${ctx.repo}`,
      root: bench.paths.root,
      baseBranch: task.target.kind === 'pull' ? task.branch : task.baseBranch,
      shallow: fs.existsSync(path.join(git.dir, '.git', 'shallow')),
      earlierWork: branch.continued && task.target.kind !== 'pull' ? branch.earlierWork : undefined,
    });
    hiddenRemoved = first.hiddenRemoved;
    outcome = await runLoop(
      {
        model,
        effort,
        limits: { budget: task.budget, reserve: closingReserve(task.budget), maxCostUsd, pricing: model.pricing, maxOutputTokens: model.maxOutputTokens },
        system: SYSTEM_PROMPT,
        firstMessage: first.text,
        deadline: clock.now() + inputs.timeoutMinutes * 60_000,
        closingGraceMs: CLOSING_GRACE_MS,
        toolResultBytes: TOOL_RESULT_BYTES,
      },
      {
        model: await t.client,
        runTool: (call, cap, timeLeft, signal) => bench.toolbox.run(call, cap, timeLeft, signal),
        clock,
        log,
        cancel: ports.cancel,
        onProgress: (p) => live?.update({ ...progressBase, loopTokens: p.loopTokens, costUsd: p.costUsd, requests: p.requests, step: p.step }),
      },
    );
    // The test command runs the agent's code: same sandbox and scrubbed environment, credentials still hidden.
    // What it writes (reports, snapshots) is not the agent's work and is put back before the patch is made.
    if (inputs.testCommand && !ports.cancel.aborted) {
      const before = await snapshotWorkTree(publishRepo, branch.startSha).catch((e) => log.warn(`The working tree could not be read before the tests: ${redactor.redact(errorMessage(e))}`));
      tests = await runTests(inputs.testCommand, bench, sandbox, ports, redactor);
      if (before) await revertSince(publishRepo, before).catch((e) => log.warn(`What the tests wrote could not be put back: ${redactor.redact(errorMessage(e))}`));
    }
  } catch (e) {
    crash = e;
    log.warn(`The run failed: ${redactor.redact(errorMessage(e))}. Delivering the work done so far.`);
  } finally {
    // Whatever the agent did to .git/config (filters, remotes) and .git/hooks is undone before taskcap's own git
    // runs, and before later steps of the job could run a planted hook. (In the sandbox .git is read-only anyway.)
    fs.writeFileSync(gitConfigPath, gitConfig);
    restoreDir(path.join(git.dir, '.git', 'hooks'), hooks);
    bench.dispose();
  }

  try {
    const d: Delivery = { outcome, tests, crash, branch, auth, existingPull, effort, maxCostUsd, bench, hiddenRemoved, model, sandbox, publishRepo };
    const report = reportFrom(task, s, d);
    try {
      await commitAndPublish(task, s, d, report);
    } catch (e) {
      report.status = 'failed';
      report.reason = `Publishing failed: ${defuse(redactor.redact(errorMessage(e)))}. Re-run to retry; the branch keeps what was pushed.`;
      log.warn(report.reason);
    }
    report.wallMs = clock.now() - s.started;
    if (inputs.dryRun) {
      log.info('Dry run: nothing pushed, no PR, no comment.');
      return result(report, outcome);
    }
    await postResults(task, s, report, prior, live);
    return result(report, outcome);
  } finally {
    publishRepo.dispose();
    await restoreCredentials();
  }
}

interface Delivery {
  outcome?: LoopOutcome;
  tests?: TestResult;
  crash?: unknown;
  branch: BranchState;
  auth: Record<string, string>;
  existingPull?: PullRequest;
  effort?: string;
  maxCostUsd?: number;
  bench: Workbench;
  hiddenRemoved: number;
  model: ModelSpec;
  sandbox: SandboxShell;
  publishRepo: PublishRepo;
}

/** Stage, filter and commit the work; then (unless a dry run) push and open, update or re-check the PR. */
async function commitAndPublish(task: Task, s: RunSetup, d: Delivery, report: RunReport): Promise<void> {
  const { inputs, ports, redactor } = s;
  const { github, git, log } = ports;
  report.branch = d.branch.branch;
  // The patch is built from the working tree against the starting commit, in taskcap's own repository: commits the
  // agent made itself fold into it, and nothing in the workspace can steer or break taskcap's git. Protected
  // paths, submodules, mode changes, links out of the tree (followed through every chain), files GitHub would
  // refuse and files holding a secret are left out; the rest of the work still ships.
  const patch = await stagePatch(d.publishRepo, { startSha: d.branch.startSha, protectedPaths: d.bench.protectedPaths, leaks: (line) => redactor.leaks(line) });
  const dropped = patch.dropped.filter((p) => !patch.leaking.includes(p.path));
  if (dropped.length) log.warn(redactor.redact(`Left out of the patch: ${dropped.map((p) => `${shownPath(p.path)} (${p.reason})`).join(', ')}.`));
  report.droppedPaths = dropped.map((p) => p.path);
  report.changedFiles = patch.changed;
  const breach = containmentBreach(d.sandbox.shell);
  if (breach) {
    log.warn(breach);
    report.status = 'failed';
    report.reason = breach;
  }
  const leaking = patch.leaking;
  if (leaking.length) {
    log.warn(redactor.redact(`The patch contains a secret or a token in ${leaking.map(shownPath).join(', ')}: left out; the rest of the work ships.`));
    report.droppedPaths = [...report.droppedPaths, ...leaking];
    // Loud on purpose: a secret in the agent's output means something reached it that should not have.
    report.status = 'failed';
    report.reason = defuse(`${leaking.map(shownPath).join(', ')} contained a secret or a token and ${leaking.length === 1 ? 'was' : 'were'} left out of the patch.`);
  }
  // The title is the issue's: untrusted, so it can neither close an issue, ping anyone nor skip CI from the commit.
  const subject = `taskcap: ${untrustedLine(task.title || task.goal, 62)}`;
  const message = redactor.redact(`${subject}\n\n${defuse(capText(report.summary ?? '', 4000))}\n\nCo-authored-by: ${BOT_NAME}`);
  const commit = await commitPatch(d.publishRepo, git, patch, message, d.branch.branch, (e) => log.warn(`The workspace could not be moved to the new commit: ${redactor.redact(errorMessage(e))}`));
  report.commitSha = commit;
  if (!commit && report.status === 'completed' && task.spec.output === 'patch') report.status = 'no-changes';
  if (inputs.dryRun) return;

  if (task.target.kind === 'pull') {
    // Pinning: push only onto the head the request was made against, and only while the PR is open.
    const now = await github.getPull(task.target.number);
    if (now.state !== 'open' || now.headSha !== d.branch.startSha) {
      const why = now.state !== 'open' ? `was ${now.state}` : `got new commits (${now.headSha.slice(0, 7)})`;
      throw new Error(`pull request #${task.target.number} ${why} while taskcap worked, so its work was not pushed`);
    }
    if (commit) await pushCommit(d.publishRepo, commit, d.branch.branch, d.branch.remoteSha, d.auth);
    report.pr = { number: now.number, url: now.url, draft: now.draft, operation: commit ? 'updated' : 'unchanged' };
    if (commit) log.info(`Pushed ${commit.slice(0, 7)} to ${d.branch.branch} (PR #${now.number}).`);
    return;
  }
  if (commit) {
    await pushCommit(d.publishRepo, commit, d.branch.branch, d.branch.remoteSha, d.auth);
    log.info(`Pushed ${commit.slice(0, 7)} to ${d.branch.branch}.`);
  }
  if (commit || d.existingPull) {
    const draft = report.status !== 'completed' || (report.tests !== undefined && !report.tests.passed);
    const body = redactor.redact(renderPullBody(report, { key: task.key, fixes: task.fixes, actor: task.actor }));
    const title = redactor.redact(untrustedLine(task.title || task.goal, 200));
    const { pull, operation } = await createOrUpdatePullRequest(github, { branch: d.branch.branch, base: task.baseBranch, title, body, draft }, d.existingPull);
    report.pr = { number: pull.number, url: pull.url, draft: pull.draft, operation: commit ? operation : 'unchanged' };
    log.info(`PR #${pull.number} ${operation}: ${pull.url}`);
  }
}

/** The receipt, the written result of explore/research classes, and answers in review threads. */
async function postResults(task: Task, s: RunSetup, report: RunReport, prior: HistoryRow[], live?: LiveReceipt): Promise<void> {
  const { github, log, clock } = s.ports;
  const { redactor } = s;
  const on = task.receiptOn ?? report.pr?.number;
  const attempt = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      log.warn(`${what} could not be written: ${redactor.redact(errorMessage(e))}`);
    }
  };
  if (task.spec.output === 'report' && report.summary && !report.summaryIsFallback) report.result = report.summary;
  if (on !== undefined && report.result) {
    const body = `<!-- taskcap:result key=${task.key} -->\n### taskcap ${task.className} result\n\n${report.summary}`;
    await attempt('The result comment', () => upsertMarkedComment(github, on, `<!-- taskcap:result key=${task.key} -->`, redactor.redact(body)));
  }
  if (on !== undefined) {
    await attempt('The receipt comment', async () => {
      // A scheduled task's receipt lives on its PR, found (with its history) once the PR exists.
      const existing = live ? undefined : await findReceipt(github, on);
      const history = live ? prior : existing ? readHistory(existing.body) : [];
      report.history = appendHistory(history, historyRowOf(report, { runId: runIdOf(s.ctx), at: new Date(clock.now()).toISOString() }));
      const body = redactor.redact(renderReceipt(report));
      report.commentUrl = live ? await live.finish(body) : (await upsertReceipt(github, on, body, existing?.id)).url;
    });
  }
  // Each review comment gets its answer in its own thread, with the commit and a link to the receipt.
  if (task.threads?.length && task.target.kind === 'pull') {
    const answers = new Map<number, string>();
    for (const m of (report.summary ?? '').matchAll(THREAD_ANSWER)) answers.set(Number(m[1]), m[2].trim());
    const pushed = report.commitSha && report.pr?.operation === 'updated' ? `pushed ${report.commitSha.slice(0, 7)}` : 'no commit';
    const footer = `\n\n<sub>taskcap · ${pushed}${report.commentUrl ? ` · [receipt](${report.commentUrl})` : ''}</sub>`;
    for (const th of task.threads) {
      const said = answers.get(th.id);
      const text = (said ?? `taskcap did not address this comment in this run${report.reason ? `: ${defuse(report.reason)}` : '.'}`) + footer;
      await attempt(`The reply to review comment ${th.id}`, () =>
        github.replyToReviewComment(task.target.kind === 'pull' ? task.target.number : 0, th.id, redactor.redact(`<!-- taskcap:reply -->\n${text}`)),
      );
    }
  }
}

/** The limits that shaped the run, as the run record names them. */
function limitsOf(report: RunReport, outcome?: LoopOutcome): string[] {
  const limits: string[] = [];
  const end = outcome?.endReason;
  if (end === 'budget' || end === 'cost' || end === 'timeout' || end === 'context-window') limits.push(end);
  if (outcome?.requests.some((r) => r.stopReason === 'max_tokens' && r.maxTokens >= 64_000)) limits.push('max-output');
  if (report.tests?.timedOut) limits.push('tests-timeout');
  return limits;
}

/** Status, figures and summary from the loop outcome. */
function reportFrom(task: Task, s: RunSetup, d: Delivery): RunReport {
  const { outcome } = d;
  const report: RunReport = {
    ...emptyReport('completed'),
    className: task.className,
    budget: task.budget,
    model: d.model.id,
    effort: d.effort,
    maxCostUsd: d.maxCostUsd,
    runUrl: runUrl(s.ctx),
    target: task.receiptOn !== undefined ? `#${task.receiptOn}` : task.key,
    dryRun: s.inputs.dryRun,
    tests: d.tests,
    sandbox: d.sandbox.sandboxed ? 'bubblewrap sandbox' : (d.sandbox.note ?? d.sandbox.shell.description),
    hiddenRemoved: d.hiddenRemoved,
  };
  if (!outcome) {
    report.status = 'failed';
    report.reason = `The run failed: ${defuse(s.redactor.redact(errorMessage(d.crash)))}`;
    return report;
  }
  const m = outcome.meter;
  report.loopTokens = m.loopTokens;
  report.billed = m.billed;
  report.costUsd = m.costUsd;
  report.costByCategory = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };
  for (const r of m.requests) {
    const pr = pricesFor(d.model.pricing, r.prompt);
    report.costByCategory.input += (r.counts.input * pr.input) / 1e6;
    report.costByCategory.cacheWrite += (r.counts.cacheWrite5m * pr.cacheWrite5m + r.counts.cacheWrite1h * pr.cacheWrite1h) / 1e6;
    report.costByCategory.cacheRead += (r.counts.cacheRead * pr.cacheRead) / 1e6;
    report.costByCategory.output += (r.counts.output * pr.output) / 1e6;
    report.uncachedCostUsd += (r.prompt * pr.input + r.counts.output * pr.output) / 1e6;
  }
  report.turns = outcome.requests.filter((r) => r.stopReason !== null).length;
  for (const r of outcome.requests) {
    const c = r.counts;
    report.requests.push({
      index: r.index + 1,
      attempt: r.attempt,
      input: c?.input ?? 0,
      cacheRead: c?.cacheRead ?? 0,
      cacheWrite: (c?.cacheWrite5m ?? 0) + (c?.cacheWrite1h ?? 0),
      output: c?.output ?? 0,
      loopAfter: r.loopAfter,
      costUsd: r.costUsd,
      stopReason: r.stopReason,
      durationMs: r.durationMs,
      requestId: r.requestId,
      error: r.error,
    });
  }
  for (const t of outcome.tools) report.toolCalls[t.name] = (report.toolCalls[t.name] ?? 0) + 1;
  report.endReason = outcome.endReason;
  report.closingTurn = outcome.closingTurn;
  report.summary = outcome.summary ? defuse(s.redactor.redact(capText(outcome.summary, 20_000))) : undefined;
  const statusByEnd: Record<LoopOutcome['endReason'], Status> = {
    completed: 'completed',
    budget: 'budget-exhausted',
    cost: 'budget-exhausted',
    timeout: 'budget-exhausted',
    cancelled: 'failed',
    refusal: 'failed',
    'context-window': 'failed',
    'api-error': 'failed',
  };
  report.status = statusByEnd[outcome.endReason];
  report.reason = outcome.detail;
  if (d.crash) {
    report.status = 'failed';
    report.reason = `The run failed: ${defuse(s.redactor.redact(errorMessage(d.crash)))}`;
  }
  if (!report.summary) {
    report.summaryIsFallback = true;
    report.summary = `Claude did not write a summary${outcome.detail ? ` (${outcome.detail.replace(/\.$/, '')})` : ''}; see the diff for what changed.`;
  }
  return report;
}

async function runTests(command: string, bench: Workbench, sandbox: SandboxShell, ports: Ports, redactor: Redactor): Promise<TestResult> {
  ports.log.info(`Running the test command: ${command}`);
  const r = await sandbox.shell.run({
    command,
    cwd: bench.paths.root,
    root: bench.paths.root,
    env: bench.env,
    timeoutMs: TEST_TIMEOUT_MS,
    maxOutputBytes: TEST_OUTPUT_BYTES * 4,
    signal: ports.cancel,
  });
  const passed = r.exitCode === 0 && !r.timedOut && !r.aborted;
  ports.log.info(`Test command ${passed ? 'passed' : 'failed'} (exit ${r.exitCode ?? 'none'}${r.timedOut ? ', timed out' : ''}).`);
  const tail = plainTerminalText(r.output).split('\n').slice(-60).join('\n');
  return { command, passed, exitCode: r.exitCode, timedOut: r.timedOut, outputTail: redactor.redact(capText(tail, TEST_OUTPUT_BYTES)), durationMs: r.durationMs };
}


/** A path for a log line or a reason: quoted when it holds characters that would break the line. */
const shownPath = (p: string) => (/[\x00-\x1f\x7f]/.test(p) ? JSON.stringify(p) : p);

type DirSnapshot = Map<string, { content: Buffer; mode: number }>;

/** The regular files of a directory (one level: .git/hooks), to put back exactly after the loop. */
function snapshotDir(dir: string): DirSnapshot {
  const files: DirSnapshot = new Map();
  if (!fs.existsSync(dir)) return files;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, e.name);
    if (e.isFile()) files.set(e.name, { content: fs.readFileSync(file), mode: fs.statSync(file).mode & 0o777 });
  }
  return files;
}

/** Remove what was added, put back what was changed or removed. */
function restoreDir(dir: string, before: DirSnapshot): void {
  if (!fs.existsSync(dir)) return;
  const same = (file: string, o: { content: Buffer; mode: number }) =>
    fs.lstatSync(file).isFile() && (fs.statSync(file).mode & 0o777) === o.mode && fs.readFileSync(file).equals(o.content);
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    const original = before.get(name);
    if (!original || !same(file, original)) fs.rmSync(file, { recursive: true, force: true });
  }
  for (const [name, o] of before) if (!fs.existsSync(path.join(dir, name))) fs.writeFileSync(path.join(dir, name), o.content, { mode: o.mode });
}
