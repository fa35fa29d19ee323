import type { ClassSpec } from '../config/classes.js';

/** Text written by people outside the action (issue bodies, comments, reviews): data for the model, never instructions. */
export interface UntrustedText {
  /** What it is, e.g. "issue #12", "comment by octocat". Written by taskcap, not the user. */
  source: string;
  author?: string;
  text: string;
}

export type TaskTarget =
  | { kind: 'issue'; number: number }
  | { kind: 'pull'; number: number; headRef: string; headSha: string }
  | { kind: 'scheduled'; name: string };

/** Everything the run needs to know about the work, decided before any model call. */
export interface Task {
  /** One key, one branch, one PR, one receipt: re-runs of the same key update instead of duplicating. */
  key: string;
  className: string;
  spec: ClassSpec;
  /** Budget after any `budget:` label or `budget=` override. */
  budget: number;
  /** Trusted one-line statement of the job, written by taskcap ("Resolve issue #12"). */
  goal: string;
  /** Human title for the PR and logs (from the issue/PR; untrusted, shown escaped). */
  title: string;
  data: UntrustedText[];
  target: TaskTarget;
  /** The branch the work is pushed to. */
  branch: string;
  /** Issue or PR number that receives the receipt comment. */
  receiptOn?: number;
  /** Who asked (labeler, commenter, reviewer); gated by permission. */
  actor?: string;
}

/** The event is not for taskcap (or not yet): say why in one line, touch nothing. */
export interface Skip {
  skip: true;
  reason: string;
}
