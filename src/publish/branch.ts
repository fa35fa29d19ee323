import type { Git } from './git.js';
import { BOT_EMAIL } from './identity.js';

export interface BranchState {
  branch: string;
  /** The remote tip when the run started (undefined: the branch did not exist). Pushes are leased on it. */
  remoteSha?: string;
  /** The commit the agent started from. */
  startSha: string;
  /** True when an earlier run's work was checked out to continue from. */
  continued: boolean;
  /** `git log --oneline` of that earlier work, for the prompt. */
  earlierWork?: string;
}

/** The branch's tip on origin, or undefined when it does not exist. */
export async function remoteTip(git: Git, branch: string, auth: Record<string, string>): Promise<string | undefined> {
  const listed = await git.run(['ls-remote', '--heads', 'origin', `refs/heads/${branch}`], { env: auth });
  return listed.stdout.split(/\s+/)[0] || undefined;
}

/**
 * Put the workspace on the task branch before the loop. When the branch already exists and `resume` holds, check
 * it out so the agent continues from the earlier work; otherwise start fresh from the checked-out commit (a stale
 * remote branch is replaced on push, leased on its tip).
 */
export async function prepareBranch(git: Git, branch: string, auth: Record<string, string>, resume: boolean, remoteSha: string | undefined): Promise<BranchState> {
  if (remoteSha && resume) {
    await git.run(['fetch', '--no-tags', '--depth=20', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], { env: auth });
    await git.run(['checkout', '--force', '-B', branch, `refs/remotes/origin/${branch}`]);
    const log = await git.output(['log', '--format=%h %s', '-n', '10', 'HEAD']);
    // The tip as fetched (it may have moved since the ls-remote): pushes are leased on it.
    const startSha = await git.output(['rev-parse', 'HEAD']);
    return { branch, remoteSha: startSha, startSha, continued: true, earlierWork: log };
  }
  // A new branch at the checked-out commit: move HEAD only. `git checkout -B` would refresh the index, which
  // stats every file of the repository, and nothing in the working tree changes.
  const startSha = await git.output(['rev-parse', 'HEAD']);
  await git.run(['update-ref', `refs/heads/${branch}`, startSha]);
  await git.run(['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
  return { branch, remoteSha, startSha, continued: false };
}

/**
 * True when `tip` descends from `base` through commits taskcap itself made (github-actions[bot], "taskcap:"
 * subjects): a re-run of a job whose first attempt already pushed, not someone else's new work.
 */
export async function onlyOurCommitsSince(git: Git, base: string, tip: string): Promise<boolean> {
  const ancestor = await git.run(['merge-base', '--is-ancestor', base, tip], { allowFailure: true });
  if (ancestor.exitCode !== 0) return false;
  const log = await git.run(['log', '--format=%ae%x09%s', `${base}..${tip}`], { allowFailure: true });
  if (log.exitCode !== 0) return false;
  const lines = log.stdout.split('\n').filter(Boolean);
  return lines.length > 0 && lines.every((l) => l.startsWith(`${BOT_EMAIL}\ttaskcap:`));
}
