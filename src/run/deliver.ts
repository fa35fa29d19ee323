import type { TaskSettings } from '../config/settings.js';
import type { RunSetup } from '../ports.js';
import { publishFailure } from '../publish/explain-git-error.js';
import { BOT_NAME } from '../publish/identity.js';
import { pushCommit, type PublishRepo } from '../publish/publish-repo.js';
import { createOrUpdatePullRequest } from '../publish/pull-request.js';
import { commitPatch, stagePatch, type StagedPatch } from '../publish/stage-patch.js';
import type { RunOutcome } from '../records/run-outcome.js';
import { renderPullBody } from '../render/pull-body.js';
import { capText } from '../tools/output-cap.js';
import { ProtectedPaths } from '../tools/protected-paths.js';
import { containmentBreach } from '../tools/shell.js';
import type { Task } from '../trigger/task.js';
import { defuse, untrustedLine } from '../util/defuse.js';
import { errorMessage } from '../util/errors.js';
import { buildOutcome } from './build-outcome.js';
import { decideStatus, type StatusFacts } from './decide-status.js';
import type { Prepared } from './prepare.js';
import type { AgentWork } from './run-agent.js';

/**
 * From the agent's work to what people see: the figures, one commit without what must never be published, the
 * status, and (unless a dry run) the push and the PR. The patch is built, committed and pushed by object id in
 * taskcap's own repository (publish-repo.ts): nothing in the workspace can steer that git, and nothing a process
 * does to the workspace after the check can change what lands. Publishing failures end as a failed status, never
 * an exception: the receipt still says what happened.
 */
export async function deliver(task: Task, settings: TaskSettings, work: AgentWork, prepared: Prepared, repo: PublishRepo, setup: RunSetup): Promise<RunOutcome> {
  const { redactor, ports } = setup;
  const { log } = ports;
  const outcome = buildOutcome(task, settings, work, prepared.sandbox, setup);
  outcome.branch = prepared.branch.branch;
  const facts: StatusFacts = {
    loop: work.loop,
    crash: work.crash === undefined ? undefined : defuse(redactor.redact(errorMessage(work.crash))),
    breach: containmentBreach(prepared.sandbox.shell),
    secretFiles: [],
    committed: false,
    producesPatch: task.spec.output === 'patch',
  };
  if (facts.breach) log.warn(facts.breach);
  try {
    const patch = await stagePatch(repo, { startSha: prepared.branch.startSha, protectedPaths: new ProtectedPaths(setup.protectedGlobs), leaks: (text) => redactor.leaks(text) });
    logLeftOut(patch, setup);
    const message = redactor.redact(commitMessage(task, outcome.summary));
    const commit = await commitPatch(repo, ports.git, patch, message, prepared.branch.branch, (e) =>
      log.warn(`The workspace could not be moved to the new commit: ${redactor.redact(errorMessage(e))}`),
    );
    Object.assign(outcome, { commitSha: commit, changedFiles: patch.changed, droppedPaths: [...patch.dropped.map((d) => d.path).filter((p) => !patch.leaking.includes(p)), ...patch.leaking] });
    Object.assign(facts, { secretFiles: patch.leaking.map(shownPath), committed: commit !== undefined });
    Object.assign(outcome, decideStatus(facts));
    if (!setup.inputs.dryRun) await publish(task, outcome, prepared, repo, setup);
  } catch (e) {
    facts.publishError = defuse(redactor.redact(publishFailure(errorMessage(e))));
    Object.assign(outcome, decideStatus(facts));
    log.warn(outcome.reason!);
  }
  return outcome;
}

/** The issue's title is untrusted: in the subject it can neither close an issue, ping anyone nor skip CI. */
function commitMessage(task: Task, summary: string | undefined): string {
  const subject = `taskcap: ${untrustedLine(task.title || task.goal, 62)}`;
  return `${subject}\n\n${defuse(capText(summary ?? '', 4000))}\n\nCo-authored-by: ${BOT_NAME}`;
}

/** A path for a log line or a reason: quoted when it holds characters that would break the line. */
const shownPath = (p: string) => (/[\x00-\x1f\x7f]/.test(p) ? JSON.stringify(p) : p);

function logLeftOut(patch: StagedPatch, setup: RunSetup): void {
  const { log } = setup.ports;
  const redact = (s: string) => setup.redactor.redact(s);
  const other = patch.dropped.filter((d) => !patch.leaking.includes(d.path));
  if (other.length) log.warn(redact(`Left out of the patch: ${other.map((d) => `${shownPath(d.path)} (${d.reason})`).join(', ')}.`));
  if (patch.leaking.length) log.warn(redact(`The patch contains a secret or a token in ${patch.leaking.map(shownPath).join(', ')}: left out; the rest of the work ships.`));
}

/** Push the commit (by its id) and open, update or re-check the PR. */
async function publish(task: Task, outcome: RunOutcome, prepared: Prepared, repo: PublishRepo, setup: RunSetup): Promise<void> {
  const { github, log } = setup.ports;
  const { redactor } = setup;
  const { branch } = prepared;
  const commit = outcome.commitSha;
  const push = (sha: string) => pushCommit(repo, sha, branch.branch, branch.remoteSha, setup.credentials.auth);
  if (task.target.kind === 'pull') {
    // Pinning: push only onto the head the request was made against, and only while the PR is open.
    const now = await github.getPull(task.target.number);
    if (now.state !== 'open' || now.headSha !== branch.startSha) {
      const why = now.state !== 'open' ? `was ${now.state}` : `got new commits (${now.headSha.slice(0, 7)})`;
      throw new Error(`pull request #${task.target.number} ${why} while taskcap worked, so its work was not pushed`);
    }
    if (commit) await push(commit);
    outcome.pr = { number: now.number, url: now.url, draft: now.draft, operation: commit ? 'updated' : 'unchanged' };
    if (commit) log.info(`Pushed ${commit.slice(0, 7)} to ${branch.branch} (PR #${now.number}).`);
    return;
  }
  if (commit) {
    await push(commit);
    log.info(`Pushed ${commit.slice(0, 7)} to ${branch.branch}.`);
  }
  // A fan-out shard publishes its branch only: collect merges it and owns the PR.
  if (task.branchOnly) return;
  if (!commit && !prepared.existingPull) return;
  const draft = outcome.status !== 'completed' || (outcome.tests !== undefined && !outcome.tests.passed);
  const body = redactor.redact(renderPullBody(outcome, { key: task.key, fixes: task.fixes, actor: task.actor }));
  const title = redactor.redact(untrustedLine(task.title || task.goal, 200));
  const { pull, operation } = await createOrUpdatePullRequest(github, { branch: branch.branch, base: task.baseBranch, title, body, draft }, prepared.existingPull);
  outcome.pr = { number: pull.number, url: pull.url, draft: pull.draft, operation: commit ? operation : 'unchanged' };
  log.info(`PR #${pull.number} ${operation}: ${pull.url}`);
}
