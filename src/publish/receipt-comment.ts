import type { GitHub, IssueComment } from '../github/github.js';
import { isBot } from '../github/people.js';
import type { Log } from '../ports.js';
import { RECEIPT_MARKER } from '../render/receipt.js';
import { bestEffort } from '../util/best-effort.js';

/**
 * Whether taskcap wrote this comment: its own login when the token can tell (a personal token), else a bot
 * (an installation token acts as `<app>[bot]`). Anyone can paste a marker; a human's comment is never taken over.
 */
function byTaskcap(c: IssueComment, self: string | undefined): boolean {
  return self !== undefined ? c.author === self : isBot(c.author, c.authorType);
}

/** taskcap's own comment carrying `marker` on an issue/PR. */
async function findMarked(github: GitHub, issue: number, marker: string): Promise<IssueComment | undefined> {
  const [self, comments] = await Promise.all([github.selfLogin(), github.listIssueComments(issue)]);
  return comments.find((c) => byTaskcap(c, self) && c.body.includes(marker));
}

/** taskcap's own receipt on an issue/PR. */
export function findReceipt(github: GitHub, issue: number): Promise<IssueComment | undefined> {
  return findMarked(github, issue, RECEIPT_MARKER);
}

/** Edit comment `id`, or create a new one when it cannot be edited (deleted, or another bot's look-alike). */
export async function editOrCreate(github: GitHub, issue: number, id: number | undefined, body: string): Promise<IssueComment> {
  if (id !== undefined) {
    try {
      return await github.updateIssueComment(id, body);
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status !== 403 && status !== 404) throw e;
    }
  }
  return github.createIssueComment(issue, body);
}

/** Create the receipt, or edit the existing one in place: one receipt per issue/PR across re-runs. */
export async function upsertReceipt(github: GitHub, issue: number, body: string, knownId?: number): Promise<IssueComment> {
  return editOrCreate(github, issue, knownId ?? (await findReceipt(github, issue))?.id, body);
}

/** Create or edit taskcap's comment carrying `marker` (a result, a notice): one per issue/PR and marker. */
export async function upsertMarkedComment(github: GitHub, issue: number, marker: string, body: string): Promise<IssueComment> {
  return editOrCreate(github, issue, (await findMarked(github, issue, marker))?.id, body);
}

/** taskcap's explanatory comments (a fork PR, a moved head, a spent monthly cap): one per issue/PR and kind. */
export const NOTICE_MARKER = (kind: string) => `<!-- taskcap:notice ${kind} -->`;

/** Post or edit the notice of this kind. It explains a stop; failing to post it is logged, never fatal. */
export async function postNotice(github: GitHub, on: number, kind: string, text: string, log: Pick<Log, 'warn'>): Promise<void> {
  const marker = NOTICE_MARKER(kind);
  await bestEffort(log, 'The notice could not be posted', () => upsertMarkedComment(github, on, marker, `${marker}\n${text}`));
}
