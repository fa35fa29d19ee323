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

/** A review comment the task must answer in its thread. */
export interface ReviewThread {
  id: number;
  path: string;
  line?: number;
  diffHunk?: string;
  body: string;
  author?: string;
}

/** Everything the run needs to know about the work, decided before any model call. */
export interface Task {
  /** One key, one branch, one PR, one receipt: re-runs of the same key update instead of duplicating. */
  key: string;
  className: string;
  spec: ClassSpec;
  /** Budget after any `budget:` label or `budget=` override. */
  budget: number;
  /** Trusted statement of the job, written by taskcap or by the repo config on the default branch. */
  goal: string;
  /** Human title for the PR and logs (from the issue/PR or the task name). */
  title: string;
  data: UntrustedText[];
  target: TaskTarget;
  /** The branch the work is pushed to. */
  branch: string;
  /** Where a PR taskcap opens points (the default branch; for PR tasks the PR's own base). */
  baseBranch: string;
  /** Issue or PR number that receives the receipt comment (scheduled tasks: the PR, once it exists). */
  receiptOn?: number;
  /** Who asked (labeler, commenter, reviewer, dispatcher). */
  actor?: string;
  /** taskcap opens and describes the PR (issue and scheduled tasks); PR tasks push to someone's PR and leave its text alone. */
  ownsPull: boolean;
  /** Issue closed by the PR ("Fixes #n"). */
  fixes?: number;
  /** Review comments to answer, each in its own thread. */
  threads?: ReviewThread[];
  /** The comment that asked for the work: 👀 when work starts. */
  triggerComment?: { kind: 'issue' | 'review'; id: number; url?: string };
  /** A fan-out shard: push its branch and stop there (collect merges it and opens the one PR). */
  branchOnly?: boolean;
  /** A fan-out shard's share of the pool's dollars: the run's cost cap never exceeds it. */
  maxCostUsd?: number;
}
