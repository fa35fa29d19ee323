import { PULL_EXISTS, type GitHub, type PullRequest } from '../github/github.js';
import { errorMessage } from '../util/errors.js';

export interface PullRequestPlan {
  branch: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

/** Open the PR for the branch, or update the open one: a re-run never opens a second PR. */
export async function createOrUpdatePullRequest(
  github: GitHub,
  plan: PullRequestPlan,
  known?: PullRequest,
): Promise<{ pull: PullRequest; operation: 'created' | 'updated' }> {
  const existing = known ?? (await github.findOpenPull(plan.branch));
  if (existing) return { pull: await github.updatePull(existing.number, { title: plan.title, body: plan.body }), operation: 'updated' };
  try {
    const pull = await github.createPull({ head: plan.branch, base: plan.base, title: plan.title, body: plan.body, draft: plan.draft });
    return { pull, operation: 'created' };
  } catch (e) {
    const said = `${errorMessage(e)} ${JSON.stringify((e as { response?: { data?: unknown } }).response?.data ?? '')}`;
    // Draft PRs are not available on every plan: open a ready PR marked as work in progress instead.
    if (plan.draft && /draft pull requests are not supported/i.test(said)) {
      const pull = await github.createPull({ head: plan.branch, base: plan.base, title: `[WIP] ${plan.title}`, body: plan.body, draft: false });
      return { pull, operation: 'created' };
    }
    if (/not permitted to create or approve pull requests/i.test(said)) {
      throw new Error(
        `GitHub refused to let the workflow open a pull request: allow it under Settings → Actions → General → "Allow GitHub Actions to create and approve pull requests", and give the job pull-requests: write. The work is pushed on ${plan.branch}.`,
      );
    }
    // A concurrent run (or an eventual-consistency gap) opened it first: take the update path.
    if (!PULL_EXISTS.test(errorMessage(e)) && !PULL_EXISTS.test(JSON.stringify((e as { response?: unknown }).response ?? ''))) throw e;
    const found = await github.findOpenPull(plan.branch);
    if (!found) throw e;
    return { pull: await github.updatePull(found.number, { title: plan.title, body: plan.body }), operation: 'updated' };
  }
}
