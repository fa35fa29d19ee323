import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Log } from '../ports.js';
import { needs } from './permission-hint.js';

export interface IssueComment {
  id: number;
  body: string;
  author: string;
  authorType?: string;
  url: string;
}

export interface PullRequest {
  number: number;
  url: string;
  state: string;
  draft: boolean;
  headRef: string;
  headSha: string;
  /** `owner/repo` of the head; differs from the base repo for forks (null when the fork was deleted). */
  headRepo: string | null;
  body: string;
  title: string;
}

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

/** An open issue, as a sweep sees it. */
export interface OpenIssue {
  number: number;
  title: string;
  body: string;
  author: string;
  labels: string[];
  state: string;
}

/** The GitHub REST operations taskcap uses, for one repository. */
export interface GitHub {
  readonly owner: string;
  readonly repo: string;
  /**
   * The login comments and PRs are created as, or undefined for an installation token (the workflow's
   * GITHUB_TOKEN, a GitHub App's token): those cannot read /user and act as some `<app>[bot]`.
   */
  selfLogin(): Promise<string | undefined>;
  defaultBranch(): Promise<string>;
  /** File content at `ref`, or undefined when it does not exist. */
  readFile(path: string, ref: string): Promise<string | undefined>;
  permission(login: string): Promise<Permission>;
  listIssueComments(issue: number): Promise<IssueComment[]>;
  createIssueComment(issue: number, body: string): Promise<IssueComment>;
  updateIssueComment(id: number, body: string): Promise<IssueComment>;
  findOpenPull(branch: string): Promise<PullRequest | undefined>;
  getPull(number: number): Promise<PullRequest>;
  createPull(p: { head: string; base: string; title: string; body: string; draft: boolean }): Promise<PullRequest>;
  updatePull(number: number, p: { title?: string; body?: string }): Promise<PullRequest>;
  /** Whether the branch is protected (taskcap never pushes to one on a PR's behalf). */
  branchProtected(branch: string): Promise<boolean>;
  /** The comments of one review (file, line, diff hunk, body). */
  listReviewComments(pull: number, reviewId: number): Promise<ReviewComment[]>;
  /** Answer a review comment in its own thread. */
  replyToReviewComment(pull: number, commentId: number, body: string): Promise<void>;
  /** 👀 and friends on the comment that asked for work. */
  react(target: { kind: 'issue' | 'review'; id: number }, content: '+1' | 'eyes' | 'rocket' | 'confused'): Promise<void>;
  /** Open issues (not pull requests) carrying `label`, oldest first. */
  listOpenIssues(label: string): Promise<OpenIssue[]>;
  getIssue(number: number): Promise<OpenIssue>;
  /** Who added `label` to the issue most recently (undefined: no such event). */
  labeledBy(issue: number, label: string): Promise<{ login: string; type?: string } | undefined>;
  /** Every open pull request of the repository. */
  listOpenPulls(): Promise<PullRequest[]>;
}

export interface ReviewComment {
  id: number;
  path: string;
  line?: number;
  diffHunk?: string;
  body: string;
  author: string;
  inReplyTo?: number;
}

/** GitHub's "already exists" answer to a second PR for the same head. */
export const PULL_EXISTS = /A pull request already exists/i;

export type RestClient = InstanceType<ReturnType<typeof Octokit.plugin>>;

/**
 * One Octokit for the REST API, with GitHub's rate-limit guidance applied (throttling) and transient-error retries.
 * `throttle: false` is for simulators only: no request spacing and near-instant retries.
 */
export function createOctokit(token: string, baseUrl: string, log: Log, options: { throttle?: boolean } = {}): Octokit {
  const Client = Octokit.plugin(retry, throttling);
  const onLimit = (kind: string) => (retryAfter: number, req: { method: string; url: string }, _o: unknown, retryCount: number) => {
    log.warn(`GitHub ${kind} limit on ${req.method} ${req.url}; ${retryCount < 2 ? `retrying in ${retryAfter} s` : 'giving up'}.`);
    return retryCount < 2;
  };
  return new Client({
    auth: token,
    baseUrl,
    userAgent: 'taskcap',
    // Without throttling (the simulators), transient-error retries wait milliseconds instead of 1, 4 and 9 seconds.
    retry: { retryAfterBaseValue: (options.throttle ?? true) ? 1000 : 10 },
    throttle: {
      enabled: options.throttle ?? true,
      onRateLimit: onLimit('rate'),
      onSecondaryRateLimit: onLimit('secondary rate'),
    },
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log.debug(m), error: (m: string) => log.debug(m) },
  });
}

type PullData = {
  number: number;
  html_url: string;
  state: string;
  draft?: boolean;
  title: string;
  body: string | null;
  head: { ref: string; sha: string; repo: { full_name: string } | null };
};

const toPull = (p: PullData): PullRequest => ({
  number: p.number,
  url: p.html_url,
  state: p.state,
  draft: p.draft ?? false,
  headRef: p.head.ref,
  headSha: p.head.sha,
  headRepo: p.head.repo?.full_name ?? null,
  body: p.body ?? '',
  title: p.title,
});

type CommentData = { id: number; body?: string; html_url: string; user: { login: string; type?: string } | null };
const toComment = (c: CommentData): IssueComment => ({
  id: c.id,
  body: c.body ?? '',
  author: c.user?.login ?? '',
  authorType: c.user?.type,
  url: c.html_url,
});

const status = (e: unknown): number | undefined => (e as { status?: number }).status;

type IssueData = { number: number; title: string; body?: string | null; user: { login: string } | null; labels: (string | { name?: string })[]; state: string; pull_request?: unknown };
const toIssue = (i: IssueData): OpenIssue => ({
  number: i.number,
  title: i.title,
  body: i.body ?? '',
  author: i.user?.login ?? '',
  labels: i.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
  state: i.state,
});

/** The GitHub port over Octokit. */
export function createGitHub(octokit: Octokit, owner: string, repo: string): GitHub {
  const r = { owner, repo };
  let self: Promise<string | undefined> | undefined;
  let defaultBranch: Promise<string> | undefined;
  return {
    owner,
    repo,
    selfLogin() {
      self ??= octokit.rest.users.getAuthenticated().then(
        (res) => res.data.login,
        (e) => {
          if (status(e) === 401 || status(e) === 403) return undefined;
          throw e;
        },
      );
      return self;
    },
    defaultBranch() {
      defaultBranch ??= octokit.rest.repos.get(r).then((res) => res.data.default_branch);
      return defaultBranch;
    },
    async readFile(path, ref) {
      try {
        const res = await octokit.rest.repos.getContent({ ...r, path, ref });
        const data = res.data as { type?: string; content?: string; encoding?: string };
        if (Array.isArray(res.data) || data.type !== 'file' || typeof data.content !== 'string') return undefined;
        return Buffer.from(data.content, (data.encoding as BufferEncoding) || 'base64').toString('utf8');
      } catch (e) {
        if (status(e) === 404) return undefined;
        throw e;
      }
    },
    async permission(login) {
      const res = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...r, username: login });
      // role_name distinguishes maintain/triage, which `permission` folds into write/read.
      const role = (res.data as { role_name?: string }).role_name;
      const known: Permission[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];
      if (role && known.includes(role as Permission)) return role as Permission;
      return known.includes(res.data.permission as Permission) ? (res.data.permission as Permission) : 'none';
    },
    async listIssueComments(issue) {
      const all = await octokit.paginate(octokit.rest.issues.listComments, { ...r, issue_number: issue, per_page: 100 });
      return all.map((c) => toComment(c as CommentData));
    },
    async createIssueComment(issue, body) {
      return toComment((await octokit.rest.issues.createComment({ ...r, issue_number: issue, body }).catch(needs('issues: write'))).data as CommentData);
    },
    async updateIssueComment(id, body) {
      return toComment((await octokit.rest.issues.updateComment({ ...r, comment_id: id, body }).catch(needs('issues: write'))).data as CommentData);
    },
    async findOpenPull(branch) {
      const res = await octokit.rest.pulls.list({ ...r, head: `${owner}:${branch}`, state: 'open', per_page: 10 });
      const match = res.data.find((p) => p.head.ref === branch && p.head.repo?.full_name === `${owner}/${repo}`);
      return match ? toPull(match as PullData) : undefined;
    },
    async getPull(number) {
      return toPull((await octokit.rest.pulls.get({ ...r, pull_number: number })).data as PullData);
    },
    async createPull(p) {
      return toPull((await octokit.rest.pulls.create({ ...r, ...p }).catch(needs('pull-requests: write'))).data as PullData);
    },
    async updatePull(number, p) {
      return toPull((await octokit.rest.pulls.update({ ...r, pull_number: number, ...p }).catch(needs('pull-requests: write'))).data as PullData);
    },
    async branchProtected(branch) {
      try {
        return (await octokit.rest.repos.getBranch({ ...r, branch })).data.protected;
      } catch (e) {
        if (status(e) === 404) return false;
        throw e;
      }
    },
    async listReviewComments(pull, reviewId) {
      const all = await octokit.paginate(octokit.rest.pulls.listCommentsForReview, { ...r, pull_number: pull, review_id: reviewId, per_page: 100 });
      return all.map((c) => ({
        id: c.id,
        path: c.path,
        line: (c as { line?: number | null }).line ?? (c as { original_line?: number | null }).original_line ?? undefined,
        diffHunk: c.diff_hunk,
        body: c.body,
        author: c.user?.login ?? '',
        inReplyTo: c.in_reply_to_id ?? undefined,
      }));
    },
    async replyToReviewComment(pull, commentId, body) {
      await octokit.rest.pulls.createReplyForReviewComment({ ...r, pull_number: pull, comment_id: commentId, body }).catch(needs('pull-requests: write'));
    },
    async react(target, content) {
      if (target.kind === 'issue') await octokit.rest.reactions.createForIssueComment({ ...r, comment_id: target.id, content }).catch(needs('issues: write'));
      else await octokit.rest.reactions.createForPullRequestReviewComment({ ...r, comment_id: target.id, content }).catch(needs('pull-requests: write'));
    },
    async listOpenIssues(label) {
      const all = await octokit.paginate(octokit.rest.issues.listForRepo, { ...r, labels: label, state: 'open', sort: 'created', direction: 'asc', per_page: 100 });
      // The issues API lists pull requests too.
      return (all as IssueData[]).filter((i) => !i.pull_request).map(toIssue);
    },
    async getIssue(number) {
      return toIssue((await octokit.rest.issues.get({ ...r, issue_number: number })).data as IssueData);
    },
    async labeledBy(issue, label) {
      const events = await octokit.paginate(octokit.rest.issues.listEvents, { ...r, issue_number: issue, per_page: 100 });
      const labeled = (events as { event?: string; label?: { name?: string }; actor?: { login: string; type?: string } | null }[])
        .filter((e) => e.event === 'labeled' && e.label?.name === label && e.actor)
        .pop();
      return labeled?.actor ? { login: labeled.actor.login, type: labeled.actor.type } : undefined;
    },
    async listOpenPulls() {
      const all = await octokit.paginate(octokit.rest.pulls.list, { ...r, state: 'open', per_page: 100 });
      return all.map((p) => toPull(p as PullData));
    },
  };
}
