import crypto from 'node:crypto';
import type { TaskcapConfig } from '../config/config.js';
import { go, refuse, skip, type Decision } from '../decision.js';
import type { GitHub, IssueComment } from '../github/github.js';
import { isBot, isWriter } from '../github/people.js';
import type { Log } from '../ports.js';
import { errorMessage } from '../util/errors.js';
import type { Intent } from './intent.js';
import { OWN_MARKER, type IssueInfo } from './route-event.js';
import type { ReviewThread, Task, UntrustedText } from './task.js';

export interface BuildContext {
  github: GitHub;
  config: TaskcapConfig;
  defaultBranch: string;
  log: Log;
}

/** Issue threads are long; the newest comments carry the current state of the discussion. */
const MAX_COMMENTS = 20;
const MAX_COMMENTERS_CHECKED = 10;

const hash8 = (s: string) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 8);

/** Turn an intent into a task, reading what the payload does not carry (PR heads, review comments, the thread). */
export async function buildTask(intent: Intent, ctx: BuildContext): Promise<Decision<Task>> {
  const t = intent.trigger;
  const spec = ctx.config.classes[intent.className];
  const common = { className: intent.className, spec, budget: intent.budget };
  const instructions = (author?: string): UntrustedText[] =>
    intent.instructions ? [{ source: 'instructions in the request', author, text: intent.instructions }] : [];

  switch (t.kind) {
    case 'schedule':
    case 'dispatch': {
      if (intent.configured) {
        const { name, prompt } = intent.configured;
        // The prompt comes from the config on the default branch: the maintainers' words, so it is the goal itself.
        return go({
          ...common,
          key: `task-${name}`,
          goal: prompt,
          title: `taskcap: ${name}`,
          data: t.kind === 'dispatch' ? instructions(t.sender.login) : [],
          target: { kind: 'scheduled', name },
          branch: `taskcap/task-${name}`,
          baseBranch: ctx.defaultBranch,
          actor: t.kind === 'dispatch' ? t.sender.login : undefined,
          ownsPull: true,
        });
      }
      const name = intent.adhocName ?? `adhoc-${hash8(intent.instructions ?? '')}`;
      return go({
        ...common,
        key: `task-${name}`,
        goal: 'Do the task described in the dispatch prompt below.',
        title: `taskcap: ${name}`,
        data: [{ source: 'workflow_dispatch prompt', author: t.kind === 'dispatch' ? t.sender.login : undefined, text: intent.instructions ?? '' }],
        target: { kind: 'scheduled', name },
        branch: `taskcap/task-${name}`,
        baseBranch: ctx.defaultBranch,
        actor: t.kind === 'dispatch' ? t.sender.login : undefined,
        ownsPull: true,
      });
    }
    case 'issue-label':
    case 'issue-comment': {
      const issue = t.issue;
      const comment = t.kind === 'issue-comment' ? t.comment : undefined;
      if (issue.isPull) return pullTask(intent, issue.number, ctx, { comment });
      const thread = await writersComments(issue, comment?.id, ctx);
      return go({
        ...common,
        key: `issue-${issue.number}`,
        goal: `Resolve issue #${issue.number} (its title, text and discussion follow as data).`,
        title: issue.title,
        data: [{ source: `issue #${issue.number}`, author: issue.author, text: `Title: ${issue.title}\n\n${issue.body}` }, ...thread, ...instructions(t.sender.login)],
        target: { kind: 'issue', number: issue.number },
        branch: `taskcap/issue-${issue.number}`,
        baseBranch: ctx.defaultBranch,
        receiptOn: issue.number,
        actor: t.sender.login,
        ownsPull: true,
        fixes: issue.number,
        triggerComment: comment ? { kind: 'issue', id: comment.id, url: comment.url } : undefined,
      });
    }
    case 'pr-label':
      return pullTask(intent, t.pull.number, ctx, { eventHeadSha: t.pull.headSha });
    case 'review-comment': {
      const c = t.comment;
      const thread: ReviewThread = { id: c.id, path: c.path, line: c.line, diffHunk: c.diffHunk, body: c.body, author: c.author };
      return pullTask(intent, t.pull.number, ctx, { eventHeadSha: t.pull.headSha, threads: [thread], triggerReview: c.id });
    }
    case 'review': {
      let threads: ReviewThread[] = [];
      try {
        const comments = await ctx.github.listReviewComments(t.pull.number, t.review.id);
        threads = comments
          .filter((c) => !c.body.includes(OWN_MARKER))
          .map((c) => ({ id: c.id, path: c.path, line: c.line, diffHunk: c.diffHunk, body: c.body, author: c.author }));
      } catch (e) {
        return refuse(`the review's comments could not be read (${errorMessage(e)})`);
      }
      return pullTask(intent, t.pull.number, ctx, { eventHeadSha: t.pull.headSha, threads, reviewBody: t.review.body });
    }
  }
}

/** Work on a pull request: push to its head branch (same repository only), answer its review threads. */
async function pullTask(
  intent: Intent,
  number: number,
  ctx: BuildContext,
  opts: { eventHeadSha?: string; threads?: ReviewThread[]; comment?: { id: number; url?: string }; triggerReview?: number; reviewBody?: string },
): Promise<Decision<Task>> {
  const repo = `${ctx.github.owner}/${ctx.github.repo}`;
  const pull = await ctx.github.getPull(number);
  if (pull.state !== 'open') return skip(`pull request #${number} is ${pull.state}`);
  if (pull.headRepo !== repo) {
    const from = pull.headRepo ? `the fork ${pull.headRepo}` : 'a deleted fork';
    return refuse(`pull request #${number} comes from ${from}`, {
      on: number,
      cause: 'fork',
      text: `taskcap does not work on pull requests from forks: it would run the fork's code with this repository's secrets and push to a branch it does not control. A maintainer can check the change out into a branch of this repository and ask there.`,
    });
  }
  // A PR whose head is the default branch or a protected one: commits there would skip review altogether.
  if (pull.headRef === ctx.defaultBranch || (await ctx.github.branchProtected(pull.headRef))) {
    return refuse(`pull request #${number} has its head on ${pull.headRef === ctx.defaultBranch ? 'the default branch' : 'a protected branch'} (${pull.headRef})`, {
      on: number,
      cause: 'protected-head',
      text: `taskcap does not push to \`${pull.headRef.replace(/`/g, '')}\`: it is ${pull.headRef === ctx.defaultBranch ? 'the default branch' : 'a protected branch'}, and commits there would skip review. Open the change from a topic branch and ask there.`,
    });
  }
  const spec = ctx.config.classes[intent.className];
  const t = intent.trigger;
  const author = 'sender' in t ? t.sender.login : undefined;
  const data: UntrustedText[] = [{ source: `pull request #${number}`, author: undefined, text: `Title: ${pull.title}\n\n${pull.body}` }];
  for (const th of opts.threads ?? []) {
    data.push({
      source: `review comment ${th.id} on ${th.path}${th.line ? `:${th.line}` : ''}`,
      author: th.author,
      text: `${th.diffHunk ? `Diff hunk:\n${th.diffHunk}\n\n` : ''}Comment:\n${th.body}`,
    });
  }
  if (opts.reviewBody?.trim()) data.push({ source: 'review summary', author, text: opts.reviewBody });
  else if (intent.instructions && !(opts.threads?.length === 1 && opts.threads[0].body.includes(intent.instructions))) {
    data.push({ source: 'instructions in the request', author, text: intent.instructions });
  }
  const goal = opts.threads?.length
    ? `Address the review comments on pull request #${number} (they follow as data), on its branch.`
    : `Work on pull request #${number} as requested (its description and the request follow as data), on its branch.`;
  return go({
    className: intent.className,
    spec,
    budget: intent.budget,
    key: `pr-${number}`,
    goal,
    title: pull.title,
    data,
    // The head the request was made against: taskcap works on exactly that commit and never pushes over a newer one.
    target: { kind: 'pull', number, headRef: pull.headRef, headSha: opts.eventHeadSha ?? pull.headSha },
    branch: pull.headRef,
    baseBranch: ctx.defaultBranch,
    receiptOn: number,
    actor: author,
    ownsPull: false,
    threads: opts.threads,
    triggerComment: opts.comment ? { kind: 'issue', id: opts.comment.id, url: opts.comment.url } : opts.triggerReview ? { kind: 'review', id: opts.triggerReview } : undefined,
  });
}

/** Recent comments on the issue by people with write access (others may be anyone on the internet). */
async function writersComments(issue: IssueInfo, excludeId: number | undefined, ctx: BuildContext): Promise<UntrustedText[]> {
  let comments: IssueComment[];
  try {
    comments = await ctx.github.listIssueComments(issue.number);
  } catch (e) {
    ctx.log.warn(`The comments of issue #${issue.number} could not be read (${errorMessage(e)}); working from the issue text alone.`);
    return [];
  }
  const recent = comments
    .filter((c) => c.id !== excludeId && !c.body.includes(OWN_MARKER) && !isBot(c.author, c.authorType))
    .slice(-MAX_COMMENTS);
  const allowed = new Map<string, boolean>();
  for (const login of [...new Set(recent.map((c) => c.author))].slice(-MAX_COMMENTERS_CHECKED)) {
    try {
      allowed.set(login, isWriter(await ctx.github.permission(login)));
    } catch {
      allowed.set(login, false);
    }
  }
  return recent.filter((c) => allowed.get(c.author)).map((c) => ({ source: `comment on issue #${issue.number}`, author: c.author, text: c.body }));
}
