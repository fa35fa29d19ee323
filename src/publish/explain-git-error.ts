import { withoutCredentials } from './workspace-check.js';

/**
 * Git's own words for a failed fetch or push ("could not read Username", "returned error: 403", "pre-receive hook
 * declined") say what happened, not what to change. This module reads them and says the fix: which credentials,
 * which `permissions:` line, which branch rule. It works on the message of a GitError (`git <args> failed (exit
 * n): <stderr>`), so it can be applied wherever such a message surfaces; anything else comes back unchanged.
 */

type Operation = 'push' | 'fetch';

interface Explained {
  /** What happened and what to change. */
  explanation: string;
  /** Whether trying again as is can help (a moved branch, the network), as opposed to a setting to change. */
  retry: boolean;
}

const GIT_FAILURE = /\bgit (push|fetch|ls-remote|clone|pull)\b(.*?) failed \(exit \d+\): ([\s\S]*)$/;

/** What a failed git command in `message` means and how to fix it, or undefined when it is not one taskcap knows. */
export function readGitFailure(message: string): Explained | undefined {
  const m = GIT_FAILURE.exec(message);
  if (!m) return undefined;
  const op: Operation = m[1] === 'push' ? 'push' : 'fetch';
  const args = m[2];
  const said = m[3];
  const branch = /HEAD:refs\/heads\/(\S+)/.exec(args)?.[1] ?? /refs\/heads\/([^\s:]+)/.exec(args)?.[1];
  const b = branch ? ` \`${branch}\`` : '';

  if (/GH006|protected branch hook declined|Protected branch update failed|GH013|repository rule violations|rule violations found/i.test(said)) {
    return {
      retry: false,
      explanation:
        `GitHub rejected the push to${b || ' the branch'}: a branch protection rule or ruleset covers it. taskcap pushes issue and scheduled work to \`taskcap/…\` branches: ` +
        'exclude `taskcap/**` from the rule (or let GitHub Actions bypass it). For work on a pull request, ask on a PR whose branch is not protected.',
    };
  }
  if (/refusing to allow .* to (create or update|update) workflow/i.test(said)) {
    return {
      retry: false,
      explanation:
        `GitHub refused the push to${b || ' the branch'} because its commits change files under .github/workflows, which this token may not push (the workflow's GITHUB_TOKEN never may; a GitHub App token needs the workflows permission). ` +
        'taskcap leaves workflow files out of its own commits: the change comes from earlier commits on the branch. Remove them from the branch, or delete the branch to start over.',
    };
  }
  if (/returned error: 403|Permission to \S+ denied|403 Forbidden|denied to /i.test(said)) {
    return op === 'push'
      ? {
          retry: false,
          explanation:
            "GitHub refused the push (HTTP 403): the token may read this repository but not write to it. Give the job `contents: write` under `permissions:`; if the repository (or its organization) limits the workflow token to read, allow read and write under Settings → Actions → General → Workflow permissions. A personal access token passed as `github-token` needs Contents: write on this repository.",
        }
      : {
          retry: false,
          explanation:
            "GitHub refused to let the token read this repository (HTTP 403). Give the job `contents: read` (`contents: write` to push) under `permissions:`; a token passed as `github-token` needs access to this repository.",
        };
  }
  if (/Authentication failed|could not read (Username|Password)|terminal prompts disabled|returned error: 401|Invalid username or password|HTTP Basic: Access denied/i.test(said)) {
    return {
      retry: false,
      explanation:
        `GitHub did not accept taskcap's git credentials for the ${op} (HTTP 401). taskcap uses the credentials actions/checkout persisted, or \`github-token\` when the checkout step sets \`persist-credentials: false\`: ` +
        'check that the token passed as `github-token` exists as a secret, has not expired, and can access this repository (or remove the input to use the workflow token).',
    };
  }
  if (/Repository not found|returned error: 404|repository '.*' not found/i.test(said)) {
    return {
      retry: false,
      explanation: `The ${op} found no repository at the workspace's \`origin\` with these credentials: the token cannot see it (a token for another repository or owner), or origin points elsewhere.`,
    };
  }
  if (/stale info|\(fetch first\)|non-fast-forward|cannot lock ref|incorrect old value/i.test(said)) {
    return {
      retry: true,
      explanation: `The branch${b} moved while taskcap worked (someone else pushed to it), so taskcap did not overwrite it. Re-run to continue from its new tip.`,
    };
  }
  if (/Could not resolve host|Failed to connect|Connection (refused|reset|timed out)|Operation timed out|unable to access .*: (Recv|Send) failure|RPC failed|early EOF|The remote end hung up/i.test(said)) {
    return { retry: true, explanation: `The ${op} could not reach the git server (a network problem). Re-run to retry.` };
  }
  if (/not a git repository/i.test(said)) {
    return { retry: false, explanation: 'The workspace is not a git repository: add `actions/checkout` before taskcap in the job\'s steps.' };
  }
  return undefined;
}

/** The last lines git printed, as evidence after the explanation (credentials in URLs masked). */
function gitSaid(message: string): string {
  const said = GIT_FAILURE.exec(message)?.[3] ?? message;
  const lines = said
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(hint:|To |Everything up-to-date)/.test(l));
  return lines
    .slice(-3)
    .map((l) => withoutCredentials(l.replace(/(['"])([a-z][a-z0-9+.-]*:\/\/[^'"\s]*)\1/gi, (_m, q: string, u: string) => `${q}${withoutCredentials(u)}${q}`)))
    .join(' / ');
}

/** `message` with an explanation and the fix in front when it is a git failure taskcap recognizes, else unchanged. */
export function explainGitError(message: string): string {
  const known = readGitFailure(message);
  return known ? `${known.explanation} (git said: ${gitSaid(message)})` : message;
}

/**
 * The reason a run's work could not be published. A failure a re-run can get past says so; one that needs a
 * setting changed says which, without the misleading "re-run".
 */
export function publishFailure(message: string): string {
  const known = readGitFailure(message);
  if (!known) return `Publishing failed: ${message}. Re-run to retry; the branch keeps what was pushed.`;
  return `Publishing failed. ${explainGitError(message)}${known.retry ? '' : " This run's commit was not pushed: fix that, then re-run."}`;
}
