import type { TaskSettings } from '../config/settings.js';
import type { RunSetup } from '../ports.js';
import { pushBranch } from '../publish/branch.js';
import { BOT_NAME } from '../publish/identity.js';
import { makePatch, type Patch } from '../publish/patch.js';
import { createOrUpdatePullRequest } from '../publish/pull-request.js';
import type { RunOutcome } from '../records/run-outcome.js';
import { renderPullBody } from '../render/pull-body.js';
import { capText } from '../tools/output-cap.js';
import { ProtectedPaths } from '../tools/protected-paths.js';
import type { Task } from '../trigger/task.js';
import { errorMessage } from '../util/errors.js';
import { publishFailure } from '../publish/explain-git-error.js';
import { buildOutcome } from './build-outcome.js';
import { decideStatus, type StatusFacts } from './decide-status.js';
import type { Prepared } from './prepare.js';
import type { AgentWork } from './run-agent.js';

/**
 * From the agent's work to what people see: the figures, one commit without what must never be published, the
 * status, and (unless a dry run) the push and the PR. Publishing failures end as a failed status, never an
 * exception: the receipt still says what happened.
 */
export async function deliver(task: Task, settings: TaskSettings, work: AgentWork, prepared: Prepared, setup: RunSetup): Promise<RunOutcome> {
  const { redactor, ports } = setup;
  const { log } = ports;
  const outcome = buildOutcome(task, settings, work, prepared.sandbox, setup);
  outcome.branch = prepared.branch.branch;
  const facts: StatusFacts = {
    loop: work.loop,
    crash: work.crash === undefined ? undefined : redactor.redact(errorMessage(work.crash)),
    secretFiles: [],
    committed: false,
    producesPatch: task.spec.output === 'patch',
  };
  try {
    const patch = await makePatch(ports.git, {
      startSha: prepared.branch.startSha,
      protectedPaths: new ProtectedPaths(setup.protectedGlobs),
      leaks: (text) => redactor.leaks(text),
      message: redactor.redact(commitMessage(task, outcome.summary)),
    });
    logLeftOut(patch, log);
    Object.assign(outcome, { commitSha: patch.commit, changedFiles: patch.changedFiles, droppedPaths: patch.droppedPaths });
    Object.assign(facts, { secretFiles: patch.secretFiles, committed: patch.commit !== undefined });
    Object.assign(outcome, decideStatus(facts));
    if (!setup.inputs.dryRun) await publish(task, outcome, prepared, setup);
  } catch (e) {
    facts.publishError = redactor.redact(publishFailure(errorMessage(e)));
    Object.assign(outcome, decideStatus(facts));
    log.warn(outcome.reason!);
  }
  return outcome;
}

function commitMessage(task: Task, summary: string | undefined): string {
  const subject = `taskcap: ${task.title || task.goal}`.replace(/\s+/g, ' ').slice(0, 72);
  return `${subject}\n\n${capText(summary ?? '', 4000)}\n\nCo-authored-by: ${BOT_NAME}`;
}

function logLeftOut(patch: Patch, log: RunSetup['ports']['log']): void {
  const other = patch.droppedPaths.filter((p) => !patch.secretFiles.includes(p));
  if (other.length) log.warn(`Left out of the patch: ${other.join(', ')}.`);
  if (patch.secretFiles.length) log.warn(`The patch contains a secret or a token in ${patch.secretFiles.join(', ')}: left out; the rest of the work ships.`);
}

/** Push the commit and open, update or re-check the PR. */
async function publish(task: Task, outcome: RunOutcome, prepared: Prepared, setup: RunSetup): Promise<void> {
  const { github, git, log } = setup.ports;
  const { redactor } = setup;
  const { branch } = prepared;
  const commit = outcome.commitSha;
  const auth = setup.credentials.auth;
  if (task.target.kind === 'pull') {
    // Pinning: push only onto the head the request was made against, and only while the PR is open.
    const now = await github.getPull(task.target.number);
    if (now.state !== 'open' || now.headSha !== branch.startSha) {
      const why = now.state !== 'open' ? `was ${now.state}` : `got new commits (${now.headSha.slice(0, 7)})`;
      throw new Error(`pull request #${task.target.number} ${why} while taskcap worked, so its work was not pushed`);
    }
    if (commit) await pushBranch(git, branch, auth);
    outcome.pr = { number: now.number, url: now.url, draft: now.draft, operation: commit ? 'updated' : 'unchanged' };
    if (commit) log.info(`Pushed ${commit.slice(0, 7)} to ${branch.branch} (PR #${now.number}).`);
    return;
  }
  if (commit) {
    await pushBranch(git, branch, auth);
    log.info(`Pushed ${commit.slice(0, 7)} to ${branch.branch}.`);
  }
  if (task.branchOnly) return;
  if (!commit && !prepared.existingPull) return;
  const draft = outcome.status !== 'completed' || (outcome.tests !== undefined && !outcome.tests.passed);
  const body = redactor.redact(renderPullBody(outcome, { key: task.key, fixes: task.fixes, actor: task.actor }));
  const title = redactor.redact(`${task.title || task.goal}`.slice(0, 200));
  const { pull, operation } = await createOrUpdatePullRequest(github, { branch: branch.branch, base: task.baseBranch, title, body, draft }, prepared.existingPull);
  outcome.pr = { number: pull.number, url: pull.url, draft: pull.draft, operation: commit ? operation : 'unchanged' };
  log.info(`PR #${pull.number} ${operation}: ${pull.url}`);
}
