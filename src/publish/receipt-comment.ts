import type { GitHub, IssueComment } from '../github/github.js';
import { RECEIPT_MARKER } from '../report/receipt.js';

/** taskcap's own receipt on an issue/PR: carries the marker and was written by taskcap's login. */
export async function findReceipt(github: GitHub, issue: number): Promise<IssueComment | undefined> {
  const self = await github.selfLogin();
  const comments = await github.listIssueComments(issue);
  // Anyone can paste the marker; only a comment taskcap wrote is taskcap's.
  return comments.find((c) => c.author === self && c.body.includes(RECEIPT_MARKER));
}

/** Create the receipt, or edit the existing one in place: one receipt per issue/PR across re-runs. */
export async function upsertReceipt(github: GitHub, issue: number, body: string, knownId?: number): Promise<IssueComment> {
  const id = knownId ?? (await findReceipt(github, issue))?.id;
  return id !== undefined ? github.updateIssueComment(id, body) : github.createIssueComment(issue, body);
}

/** Create or edit taskcap's comment carrying `marker` (a result, a notice): one per issue/PR and marker. */
export async function upsertMarkedComment(github: GitHub, issue: number, marker: string, body: string): Promise<IssueComment> {
  const self = await github.selfLogin();
  const existing = (await github.listIssueComments(issue)).find((c) => c.author === self && c.body.includes(marker));
  return existing ? github.updateIssueComment(existing.id, body) : github.createIssueComment(issue, body);
}

/** taskcap's explanatory comments (a fork PR, a moved head, a spent monthly cap): one per issue/PR and kind. */
export const NOTICE_MARKER = (kind: string) => `<!-- taskcap:notice ${kind} -->`;
