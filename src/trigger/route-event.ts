import { go, skip, type Go, type Skip } from '../decision.js';
import { AGENT_COMMAND } from './command.js';

type Json = Record<string, unknown>;
export const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

export interface Actor {
  login: string;
  type?: string;
}

export interface IssueInfo {
  number: number;
  title: string;
  body: string;
  author?: string;
  state: string;
  labels: string[];
  /** An issue_comment on a pull request arrives on its issue; this says so. */
  isPull: boolean;
}

export interface PullInfo {
  number: number;
  title: string;
  body: string;
  author?: string;
  state: string;
  labels: string[];
  headRef?: string;
  headSha?: string;
  /** `owner/repo` of the head; null when the fork was deleted. */
  headRepo?: string | null;
  baseRef?: string;
}

export interface CommentInfo {
  id: number;
  body: string;
  author?: string;
  url?: string;
}

export interface ReviewCommentInfo extends CommentInfo {
  path: string;
  line?: number;
  diffHunk?: string;
}

/** What happened, as plain data, before any configuration or API call. */
export type Trigger =
  | { kind: 'issue-label'; issue: IssueInfo; label: string; sender: Actor }
  | { kind: 'pr-label'; pull: PullInfo; label: string; sender: Actor }
  | { kind: 'issue-comment'; issue: IssueInfo; comment: CommentInfo; sender: Actor }
  | { kind: 'review-comment'; pull: PullInfo; comment: ReviewCommentInfo; sender: Actor }
  | { kind: 'review'; pull: PullInfo; review: { id: number; body: string; state: string; url?: string }; sender: Actor }
  | { kind: 'schedule'; cron: string }
  | { kind: 'dispatch'; inputs: Record<string, string>; sender: Actor };

/** Text taskcap itself wrote carries this marker; such text never starts work (no loops). */
export const OWN_MARKER = '<!-- taskcap:';

const labelsOf = (v: unknown) => (Array.isArray(v) ? v.map((l) => str(obj(l).name)).filter(Boolean) : []);
const actorOf = (v: unknown): Actor => ({ login: str(obj(v).login), type: str(obj(v).type) || undefined });

function issueOf(v: unknown): IssueInfo | undefined {
  const i = obj(v);
  const number = num(i.number);
  if (number === undefined) return undefined;
  return {
    number,
    title: str(i.title),
    body: str(i.body),
    author: str(obj(i.user).login) || undefined,
    state: str(i.state) || 'open',
    labels: labelsOf(i.labels),
    isPull: i.pull_request !== undefined && i.pull_request !== null,
  };
}

function pullOf(v: unknown): PullInfo | undefined {
  const p = obj(v);
  const number = num(p.number);
  if (number === undefined) return undefined;
  const head = obj(p.head);
  return {
    number,
    title: str(p.title),
    body: str(p.body),
    author: str(obj(p.user).login) || undefined,
    state: str(p.state) || 'open',
    labels: labelsOf(p.labels),
    headRef: str(head.ref) || undefined,
    headSha: str(head.sha) || undefined,
    headRepo: head.repo === null ? null : str(obj(head.repo).full_name) || undefined,
    baseRef: str(obj(p.base).ref) || undefined,
  };
}

/** Read the event payload into a Trigger, or say in one line why it is not taskcap work. Pure: no I/O. */
export function routeEvent(eventName: string, payload: Json): Go<Trigger> | Skip {
  const action = str(payload.action);
  const where = `${eventName}${action ? `.${action}` : ''}`;
  const sender = actorOf(payload.sender);
  switch (eventName) {
    case 'issues': {
      if (action !== 'labeled') break;
      const issue = issueOf(payload.issue);
      if (!issue) return skip('the issues event has no issue number');
      return go({ kind: 'issue-label', issue, label: str(obj(payload.label).name), sender });
    }
    case 'pull_request':
    case 'pull_request_target': {
      if (action !== 'labeled') break;
      const pull = pullOf(payload.pull_request);
      if (!pull) return skip('the pull_request event has no pull request');
      return go({ kind: 'pr-label', pull, label: str(obj(payload.label).name), sender });
    }
    case 'issue_comment': {
      if (action !== 'created') return skip(`${where}: only new comments start work (edits and deletions never do)`);
      const issue = issueOf(payload.issue);
      const c = obj(payload.comment);
      const comment: CommentInfo = { id: num(c.id) ?? 0, body: str(c.body), author: str(obj(c.user).login) || undefined, url: str(c.html_url) || undefined };
      if (!issue || !comment.id) return skip('the issue_comment event has no issue or comment');
      if (comment.body.includes(OWN_MARKER)) return skip(`comment ${comment.id} was written by taskcap`);
      if (!AGENT_COMMAND.test(comment.body)) return skip(`comment ${comment.id} does not start with /agent`);
      return go({ kind: 'issue-comment', issue, comment, sender });
    }
    case 'pull_request_review_comment': {
      if (action !== 'created') return skip(`${where}: only new review comments start work`);
      const pull = pullOf(payload.pull_request);
      const c = obj(payload.comment);
      const comment: ReviewCommentInfo = {
        id: num(c.id) ?? 0,
        body: str(c.body),
        author: str(obj(c.user).login) || undefined,
        url: str(c.html_url) || undefined,
        path: str(c.path),
        line: num(c.line) ?? num(c.original_line),
        diffHunk: str(c.diff_hunk) || undefined,
      };
      if (!pull || !comment.id) return skip('the review comment event has no pull request or comment');
      if (comment.body.includes(OWN_MARKER)) return skip(`review comment ${comment.id} was written by taskcap`);
      if (!AGENT_COMMAND.test(comment.body)) return skip(`review comment ${comment.id} does not start with /agent`);
      return go({ kind: 'review-comment', pull, comment, sender });
    }
    case 'pull_request_review': {
      if (action !== 'submitted') return skip(`${where}: only submitted reviews start work`);
      const pull = pullOf(payload.pull_request);
      const r = obj(payload.review);
      const review = { id: num(r.id) ?? 0, body: str(r.body), state: str(r.state).toLowerCase(), url: str(r.html_url) || undefined };
      if (!pull || !review.id) return skip('the review event has no pull request or review');
      if (review.body.includes(OWN_MARKER)) return skip(`review ${review.id} was written by taskcap`);
      const command = AGENT_COMMAND.test(review.body);
      // "Request changes" on a PR taskcap opened is a request to taskcap, no mention needed.
      const ours = (pull.headRef ?? '').startsWith('taskcap/');
      if (!command && !(review.state === 'changes_requested' && ours)) {
        return skip(`review ${review.id} neither starts with /agent nor requests changes on a taskcap PR`);
      }
      return go({ kind: 'review', pull, review, sender });
    }
    case 'schedule': {
      const cron = str(payload.schedule);
      if (!cron) return skip('the schedule event carries no schedule');
      return go({ kind: 'schedule', cron });
    }
    case 'workflow_dispatch': {
      const inputs: Record<string, string> = {};
      for (const [k, v] of Object.entries(obj(payload.inputs))) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') inputs[k] = String(v);
      return go({ kind: 'dispatch', inputs, sender });
    }
  }
  return skip(`event '${where}' does not start taskcap work`);
}
