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
export async function upsertReceipt(github: GitHub, issue: number, body: string, known?: IssueComment): Promise<IssueComment> {
  const existing = known ?? (await findReceipt(github, issue));
  return existing ? github.updateIssueComment(existing.id, body) : github.createIssueComment(issue, body);
}
