import fs from 'node:fs';
import type { ModelPort } from '../agent/model.js';
import type { TaskSettings } from '../config/settings.js';
import type { IssueComment, PullRequest } from '../github/github.js';
import type { RunSetup } from '../ports.js';
import { onlyOurCommitsSince, prepareBranch, remoteTip, type BranchState } from '../publish/branch.js';
import { LiveReceipt } from '../publish/live-receipt.js';
import { findReceipt, postNotice } from '../publish/receipt-comment.js';
import { readHistory } from '../records/history.js';
import type { HistoryRow } from '../records/run-outcome.js';
import { runUrl } from '../action/runner-context.js';
import type { WorkingProgress } from '../render/receipt.js';
import type { SandboxShell } from '../tools/sandbox.js';
import { createAgentHome } from '../tools/workbench.js';
import type { Task } from '../trigger/task.js';
import { bestEffort } from '../util/best-effort.js';
import { errorMessage } from '../util/errors.js';
import { DEFAULT_INSTRUCTION_FILES } from '../context/instructions.js';
import { contextSource, type ContextSource } from '../context/repository-context.js';
import { readCommitFiles } from '../context/tree.js';

/** A task ready to run: the sandbox, the branch, the PR and receipt found, the model client on its way. */
export interface Prepared {
  ready: true;
  sandbox: SandboxShell;
  agentHome: string;
  branch: BranchState;
  existingPull?: PullRequest;
  /** Earlier runs' totals from the receipt, to carry forward. */
  history: HistoryRow[];
  /** The receipt that follows the spend while the loop runs (none in a dry run or without an issue/PR). */
  live?: LiveReceipt;
  /** What every progress update of the receipt repeats. */
  progressBase: Omit<WorkingProgress, 'loopTokens' | 'costUsd' | 'requests' | 'step'>;
  model: Promise<ModelPort & { switchedOff?(): readonly string[] }>;
  /** The repository's instructions and files at the context commit, read while the rest is prepared. */
  context: Promise<ContextSource | undefined>;
  /** Undo what preparing set up (the sandbox). */
  dispose(): Promise<void>;
}

/** The task cannot start; the reason is for the receipt and the log. */
export interface NotReady {
  ready: false;
  reason: string;
  branch: string;
}

/**
 * Everything before the first request. The sandbox first: under `sandbox: required` a runner that cannot make one
 * fails before any write. Its probe runs while the branch, the PR and the receipt are looked up, and the model
 * client (a large module to compile) loads once those are under way.
 */
export async function prepare(task: Task, settings: TaskSettings, setup: RunSetup): Promise<Prepared | NotReady> {
  const { ports, inputs, ctx } = setup;
  const { github, git, log } = ports;
  const agentHome = createAgentHome();
  const sandboxReady = ports.makeShell({ workspace: git.dir, agentHome });
  const lookups = lookUp(task, setup);
  // Handled now, awaited later: a failed lookup (a refused fetch) while the sandbox probe still runs must reach the
  // catch below, not end the process as an unhandled rejection.
  lookups.catch(() => undefined);
  const model = new Promise<void>((resolve) => setImmediate(resolve)).then(() => ports.makeModel(setup.provider, settings.model, (secret) => setup.redactor.add(secret)));
  model.catch(() => undefined);
  const context = readContext(setup);
  const sandbox = await sandboxReady.catch(async (e) => {
    await lookups.catch(() => undefined);
    fs.rmSync(agentHome, { recursive: true, force: true });
    throw e;
  });
  log.debug('sandbox ready');
  try {
    const { tip, existingPull, receipt } = await lookups;
    // An existing branch is always continued: it holds earlier work (even when its PR could not be opened or was
    // closed), and starting over would overwrite it. Deleting the branch starts a task from scratch.
    const branch = await prepareBranch(git, task.branch, setup.credentials.auth, true, tip);
    log.debug('branch ready');
    if (task.target.kind === 'pull' && (await headMoved(task.target.headSha, branch, setup))) {
      const reason = `The head of pull request #${task.target.number} moved after the request (asked at ${task.target.headSha.slice(0, 7)}, now ${branch.startSha.slice(0, 7)}); nothing was done. Ask again to work on the new head.`;
      if (!inputs.dryRun) await postNotice(github, task.target.number, 'head-moved', reason, log);
      await sandbox.dispose();
      return { ready: false, reason, branch: task.branch };
    }
    const { model: spec, effort } = settings;
    log.info(
      `Task ${task.key}: class ${task.className}, budget ${task.budget}, model ${spec.id}${effort ? ` (effort ${effort})` : ''}, branch ${branch.branch}${branch.continued ? ' (continuing earlier work)' : ''}.`,
    );
    if (task.triggerComment && !inputs.dryRun) await bestEffort(log, 'Could not react to the request', () => github.react(task.triggerComment!, 'eyes'));

    // The receipt appears when work starts and follows the spend; its history block carries earlier runs' totals.
    const history = receipt ? readHistory(receipt.body) : [];
    const live =
      task.receiptOn !== undefined && !inputs.dryRun
        ? new LiveReceipt(github, task.receiptOn, receipt?.id, ports.clock, log, (t) => setup.redactor.redact(t))
        : undefined;
    const progressBase = { className: task.className, budget: task.budget, model: spec.id, provider: setup.provider.plan.provider, effort, runUrl: runUrl(ctx), history };
    // Posted alongside the first request, not before it.
    live?.start({ ...progressBase, loopTokens: 0, costUsd: 0, requests: 0, step: 'starting' });
    return { ready: true, sandbox, agentHome, branch, existingPull, history, live, progressBase, model, context, dispose: () => sandbox.dispose() };
  } catch (e) {
    await sandbox.dispose();
    throw e;
  }
}

/**
 * The context commit's files and instructions, from git's object store (the working tree is the agent's). A
 * failure costs the run its context, never the run.
 */
function readContext(setup: RunSetup): Promise<ContextSource | undefined> {
  const at = setup.contextCommit;
  if (!at) return Promise.resolve(undefined);
  const { git, log } = setup.ports;
  return readCommitFiles(git, at.sha)
    .then((files) => (log.debug('context files listed'), contextSource(files, `${setup.ctx.owner}/${setup.ctx.repo}`, at.branch, setup.config.instructions ?? DEFAULT_INSTRUCTION_FILES)))
    .then(async (source) => (await source.base.catch(() => undefined), log.debug('context built'), source))
    .catch((e) => {
      log.warn(`The repository context could not be read (${errorMessage(e)}); the run goes without it.`);
      return undefined;
    });
}

/** What the run needs to know before it starts, read concurrently: the branch tip, the PR, the receipt. */
async function lookUp(task: Task, setup: RunSetup): Promise<{ tip?: string; existingPull?: PullRequest; receipt?: IssueComment }> {
  const { github, git } = setup.ports;
  const [tip, existingPull, receipt] = await Promise.all([
    remoteTip(git, task.branch, setup.credentials.auth),
    task.ownsPull ? github.findOpenPull(task.branch) : Promise.resolve(undefined),
    task.receiptOn !== undefined ? findReceipt(github, task.receiptOn) : Promise.resolve(undefined),
  ]);
  return { tip, existingPull, receipt };
}

/** A PR's head moved since the request, by someone else (a re-run finds taskcap's own commits on top: fine). */
async function headMoved(requestedSha: string, branch: BranchState, setup: RunSetup): Promise<boolean> {
  return branch.startSha !== requestedSha && !(await onlyOurCommitsSince(setup.ports.git, requestedSha, branch.startSha));
}
