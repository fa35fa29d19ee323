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
    // A concurrent run (or an eventual-consistency gap) opened it first: take the update path.
    if (!PULL_EXISTS.test(errorMessage(e)) && !PULL_EXISTS.test(JSON.stringify((e as { response?: unknown }).response ?? ''))) throw e;
    const found = await github.findOpenPull(plan.branch);
    if (!found) throw e;
    return { pull: await github.updatePull(found.number, { title: plan.title, body: plan.body }), operation: 'updated' };
  }
}
