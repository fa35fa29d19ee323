import fs from 'node:fs';
import path from 'node:path';
import { runLoop, type LoopOutcome } from './agent/loop.js';
import type { ModelPort } from './agent/model.js';
import { buildFirstMessage, SYSTEM_PROMPT } from './agent/prompt.js';
import { closingReserve } from './budget/preflight.js';
import { pricesFor } from './budget/usage.js';
import { defaultConfig, type TaskcapConfig } from './config/config.js';
import { effortFor, type ModelSpec } from './config/models.js';
import { resolveModel } from './config/resolve-model.js';
import type { GitHub, PullRequest } from './github/github.js';
import type { Inputs } from './inputs.js';
import type { Clock, Log } from './ports.js';
import { BOT_NAME, commitStaged, prepareBranch, pushBranch, stageAll, unstage, type BranchState } from './publish/branch.js';
import { authEnv, findCheckoutCredentials, headerForToken, hideCredentials } from './publish/credentials.js';
import type { Git } from './publish/git.js';
import { createOrUpdatePullRequest } from './publish/pull-request.js';
import { upsertReceipt } from './publish/receipt-comment.js';
import { renderPullBody } from './report/pull-body.js';
import { renderReceipt } from './report/receipt.js';
import { emptyReport, type RunReport, type Status, type TestResult } from './report/run-report.js';
import { runUrl, type RunnerContext } from './runner-context.js';
import { DEFAULT_PROTECTED } from './tools/protected-paths.js';
import type { Shell } from './tools/shell.js';
import { TOOL_RESULT_BYTES } from './tools/toolbox.js';
import { createWorkbench, type Workbench } from './tools/workbench.js';
import { checkPermission } from './trigger/gate.js';
import { resolveTask } from './trigger/resolve.js';
import type { Task } from './trigger/task.js';
import { errorMessage, UserError } from './util/errors.js';
import { Redactor } from './util/redact.js';
import { capText, plainTerminalText } from './tools/output-cap.js';

/** The world as taskcap sees it. Only the entry module builds real ones. */
export interface Ports {
  github: GitHub;
  /** Built only once a run will call the model (a skipped or refused event needs no key). */
  makeModel: (apiKey: string) => ModelPort;
  git: Git;
  shell: Shell;
  clock: Clock;
  log: Log;
  /** Aborted on SIGINT/SIGTERM (a cancelled workflow). */
  cancel: AbortSignal;
}

/** Time the closing turn may take after the wall clock ran out. */
const CLOSING_GRACE_MS = 60_000;
const TEST_TIMEOUT_MS = 10 * 60_000;
const TEST_OUTPUT_BYTES = 6_000;

/**
 * One taskcap run: event → task → gate → capped loop → publication → receipt. Returns the report the entry
 * module turns into outputs and a job summary. A skipped or refused event makes no model call and no write.
 */
export async function runTaskcap(inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<RunReport> {
  const { github, log, clock } = ports;
  const started = clock.now();
  const config: TaskcapConfig = defaultConfig();

  const routed = resolveTask({ eventName: ctx.eventName, payload: ctx.payload, config });
  if ('skip' in routed) {
    log.info(`Skipped: ${routed.reason}.`);
    return emptyReport('skipped', routed.reason);
  }
  const task = routed;
  const sender = ctx.payload.sender as { login?: string; type?: string } | undefined;
  const verdict = await checkPermission(github, {
    sender: sender?.login ? { login: sender.login, type: sender.type } : undefined,
    triggeringActor: ctx.runAttempt > 1 ? ctx.triggeringActor : undefined,
    allowedBots: inputs.allowedBots,
  });
  if (!verdict.allowed) {
    log.warn(`Refused: ${verdict.reason}.`);
    return { ...emptyReport('refused', verdict.reason), className: task.className, budget: task.budget };
  }
  if (!inputs.anthropicApiKey) {
    throw new UserError(
      "Input 'anthropic-api-key' is empty. Pass it from a repository secret: `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}` (secrets are not available to workflows triggered from forks).",
    );
  }
  const model = resolveModel(task.spec.model ?? config.model ?? inputs.model, config);
  const redactor = new Redactor().add(inputs.anthropicApiKey).add(inputs.githubToken);
  return deliverTask(task, { inputs, ctx, ports, config, model, redactor, started });
}

interface RunSetup {
  inputs: Inputs;
  ctx: RunnerContext;
  ports: Ports;
  config: TaskcapConfig;
  model: ModelSpec;
  redactor: Redactor;
  started: number;
}

async function deliverTask(task: Task, s: RunSetup): Promise<RunReport> {
  const { inputs, ctx, ports, model, redactor } = s;
  const { github, git, log, clock } = ports;
  const maxCostUsd = task.spec.maxCostUsd ?? s.config.maxCostUsd ?? inputs.maxCostUsd;
  const effort = effortFor(model, task.spec.effort);
  const base = await github.defaultBranch();

  // Credentials: the header checkout persisted (or one made from the token) is used only in taskcap's own git calls.
  const creds = await findCheckoutCredentials(git, ctx.serverUrl);
  const header = creds.header ?? headerForToken(inputs.githubToken);
  redactor.add(header).add(header.replace(/^AUTHORIZATION:\s*basic\s+/i, ''));
  const auth = authEnv(ctx.serverUrl, header);
  const existingPull = await github.findOpenPull(task.branch);
  const branch = await prepareBranch(git, task.branch, auth, existingPull !== undefined);
  log.info(
    `Task ${task.key}: class ${task.className}, budget ${task.budget}, model ${model.id}${effort ? ` (effort ${effort})` : ''}, branch ${branch.branch}${branch.continued ? ' (continuing earlier work)' : ''}.`,
  );

  const restoreCredentials = await hideCredentials(git, creds, ctx.serverUrl);
  const gitConfigPath = path.join(git.dir, '.git', 'config');
  const gitConfig = fs.readFileSync(gitConfigPath);
  const bench = createWorkbench({
    workspace: git.dir,
    shell: ports.shell,
    protectedGlobs: [...DEFAULT_PROTECTED, inputs.configPath],
    redact: (t) => redactor.redact(t),
    clock,
  });
  let outcome: LoopOutcome | undefined;
  let tests: TestResult | undefined;
  let crash: unknown;
  let hiddenRemoved = 0;
  try {
    const first = buildFirstMessage(task, {
      repository: `${ctx.owner}/${ctx.repo}`,
      root: bench.paths.root,
      baseBranch: base,
      shallow: fs.existsSync(path.join(git.dir, '.git', 'shallow')),
      earlierWork: branch.earlierWork,
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
        model: ports.makeModel(inputs.anthropicApiKey!),
        runTool: (call, cap, timeLeft, signal) => bench.toolbox.run(call, cap, timeLeft, signal),
        clock,
        log,
        cancel: ports.cancel,
      },
    );
    // The test command runs the agent's code: same sandbox and scrubbed environment, credentials still hidden.
    if (inputs.testCommand && !ports.cancel.aborted) tests = await runTests(inputs.testCommand, bench, ports, redactor);
  } catch (e) {
    crash = e;
    log.warn(`The run failed: ${redactor.redact(errorMessage(e))}. Delivering the work done so far.`);
  } finally {
    // Whatever the agent did to .git/config (hooks, filters, remotes) is undone before taskcap's own git runs.
    fs.writeFileSync(gitConfigPath, gitConfig);
    bench.dispose();
  }

  try {
    return await publish(task, s, { outcome, tests, crash, branch, base, auth, existingPull, effort, maxCostUsd, bench, hiddenRemoved });
  } finally {
    await restoreCredentials();
  }
}

interface Delivery {
  outcome?: LoopOutcome;
  tests?: TestResult;
  crash?: unknown;
  branch: BranchState;
  base: string;
  auth: Record<string, string>;
  existingPull?: PullRequest;
  effort?: string;
  maxCostUsd?: number;
  bench: Workbench;
  hiddenRemoved: number;
}

/** Commit, push, open or update the PR, post the receipt. Each step runs even if a later one fails. */
async function publish(task: Task, s: RunSetup, d: Delivery): Promise<RunReport> {
  const { inputs, ports, redactor } = s;
  const { github, log, clock } = ports;
  const report = reportFrom(task, s, d);

  try {
    await commitAndOpenPull(task, s, d, report);
  } catch (e) {
    report.status = 'failed';
    report.reason = `Publishing failed: ${redactor.redact(errorMessage(e))}. Re-run to retry; the branch keeps what was pushed.`;
    log.warn(report.reason);
  }
  report.wallMs = clock.now() - s.started;
  if (inputs.dryRun) {
    log.info('Dry run: nothing pushed, no PR, no comment.');
    return report;
  }
  if (task.receiptOn !== undefined) {
    try {
      const comment = await upsertReceipt(github, task.receiptOn, redactor.redact(renderReceipt(report)));
      report.commentUrl = comment.url;
    } catch (e) {
      log.warn(`The receipt comment could not be written: ${redactor.redact(errorMessage(e))}`);
    }
  }
  return report;
}

/** Stage, filter and commit the work; then (unless a dry run) push and open or update the PR. */
async function commitAndOpenPull(task: Task, s: RunSetup, d: Delivery, report: RunReport): Promise<void> {
  const { inputs, ports, redactor } = s;
  const { github, git, log } = ports;
  report.branch = d.branch.branch;
  // Protected paths, submodules and mode-only changes never reach the patch (bash can write anything).
  const staged = await stageAll(git);
  const dropped = staged.filter((c) => d.bench.protectedPaths.match(c.path) || c.mode === '160000' || c.oldMode === '160000');
  await unstage(git, dropped.map((c) => c.path));
  if (dropped.length) log.warn(`Left out of the patch: ${dropped.map((c) => c.path).join(', ')}.`);
  report.droppedPaths = dropped.map((c) => c.path);
  report.changedFiles = staged.filter((c) => !dropped.includes(c)).map((c) => c.path);

  const diff = (await git.run(['diff', '--cached', '--no-ext-diff', '--no-textconv'])).stdout;
  if (redactor.leaks(diff)) {
    await git.run(['reset', '-q'], { allowFailure: true });
    report.changedFiles = [];
    throw new Error('the patch contains a secret (a token or key), so nothing was committed or pushed');
  }
  const subject = `taskcap: ${task.goal.replace(/\s*\(.*\)\.?$/, '')}`.slice(0, 72);
  const message = redactor.redact(`${subject}\n\n${capText(report.summary ?? '', 4000)}\n\nCo-authored-by: ${BOT_NAME}`);
  const commit = await commitStaged(git, message);
  if (!commit && report.status === 'completed') report.status = 'no-changes';
  if (inputs.dryRun) return;

  if (commit) {
    await pushBranch(git, d.branch, d.auth);
    log.info(`Pushed ${commit.slice(0, 7)} to ${d.branch.branch}.`);
  }
  if (commit || d.existingPull) {
    const draft = report.status !== 'completed' || (report.tests !== undefined && !report.tests.passed);
    const body = redactor.redact(
      renderPullBody(report, { key: task.key, fixes: task.target.kind === 'issue' ? task.target.number : undefined, actor: task.actor }),
    );
    const title = redactor.redact(`${task.title || task.goal}`.slice(0, 200));
    const { pull, operation } = await createOrUpdatePullRequest(github, { branch: d.branch.branch, base: d.base, title, body, draft }, d.existingPull);
    report.pr = { number: pull.number, url: pull.url, draft: pull.draft, operation: commit ? operation : 'unchanged' };
    log.info(`PR #${pull.number} ${operation}: ${pull.url}`);
  }
}

/** Status, figures and summary from the loop outcome. */
function reportFrom(task: Task, s: RunSetup, d: Delivery): RunReport {
  const { outcome } = d;
  const report: RunReport = {
    ...emptyReport('completed'),
    className: task.className,
    budget: task.budget,
    model: s.model.id,
    effort: d.effort,
    maxCostUsd: d.maxCostUsd,
    runUrl: runUrl(s.ctx),
    target: task.receiptOn !== undefined ? `#${task.receiptOn}` : task.key,
    dryRun: s.inputs.dryRun,
    tests: d.tests,
    sandbox: s.ports.shell.description,
    hiddenRemoved: d.hiddenRemoved,
  };
  if (!outcome) {
    report.status = 'failed';
    report.reason = `The run failed: ${s.redactor.redact(errorMessage(d.crash))}`;
    return report;
  }
  const m = outcome.meter;
  report.loopTokens = m.loopTokens;
  report.billed = m.billed;
  report.costUsd = m.costUsd;
  report.costByCategory = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };
  for (const r of m.requests) {
    const pr = pricesFor(s.model.pricing, r.prompt);
    report.costByCategory.input += (r.counts.input * pr.input) / 1e6;
    report.costByCategory.cacheWrite += (r.counts.cacheWrite5m * pr.cacheWrite5m + r.counts.cacheWrite1h * pr.cacheWrite1h) / 1e6;
    report.costByCategory.cacheRead += (r.counts.cacheRead * pr.cacheRead) / 1e6;
    report.costByCategory.output += (r.counts.output * pr.output) / 1e6;
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
  for (const r of m.requests) {
    const pr = pricesFor(s.model.pricing, r.prompt);
    report.uncachedCostUsd += (r.prompt * pr.input + r.counts.output * pr.output) / 1e6;
  }
  for (const t of outcome.tools) report.toolCalls[t.name] = (report.toolCalls[t.name] ?? 0) + 1;
  report.endReason = outcome.endReason;
  report.closingTurn = outcome.closingTurn;
  report.summary = outcome.summary ? neutralizeMentions(s.redactor.redact(capText(outcome.summary, 20_000))) : undefined;
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
    report.reason = `The run failed: ${s.redactor.redact(errorMessage(d.crash))}`;
  }
  if (!report.summary) {
    report.summaryIsFallback = true;
    report.summary = `Claude did not write a summary${outcome.detail ? ` (${outcome.detail.replace(/\.$/, '')})` : ''}; see the diff for what changed.`;
  }
  return report;
}

/** A model-written @team or @user would notify people from a bot's text; keep the text, drop the ping. */
function neutralizeMentions(text: string): string {
  return text.replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@\u200b');
}

async function runTests(command: string, bench: Workbench, ports: Ports, redactor: Redactor): Promise<TestResult> {
  ports.log.info(`Running the test command: ${command}`);
  const r = await ports.shell.run({
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
