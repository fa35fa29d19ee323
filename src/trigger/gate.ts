import type { GitHub, Permission } from '../github/github.js';
import { errorMessage } from '../util/errors.js';

const WRITERS: Permission[] = ['admin', 'maintain', 'write'];

export interface GateInput {
  /** The user whose action asked for the work (labeler, commenter, reviewer). */
  sender?: { login: string; type?: string };
  /** On a re-run, the user who re-ran the job. */
  triggeringActor?: string;
  allowedBots: string[];
}

export type Verdict = { allowed: true } | { allowed: false; reason: string };

const isBot = (login: string, type?: string) => type === 'Bot' || login.endsWith('[bot]');

/**
 * May this person spend this budget? Write, maintain or admin per the collaborator-permission API (never
 * `author_association`); bots only when listed exactly; any error refuses.
 */
export async function checkPermission(github: GitHub, input: GateInput): Promise<Verdict> {
  const sender = input.sender;
  if (!sender?.login) return { allowed: false, reason: 'the event names no sender' };
  const people = [sender.login, ...(input.triggeringActor && input.triggeringActor !== sender.login ? [input.triggeringActor] : [])];
  for (const login of people) {
    if (isBot(login, login === sender.login ? sender.type : undefined)) {
      if (!input.allowedBots.includes(login)) return { allowed: false, reason: `${login} is a bot and is not listed in 'allowed-bots'` };
      continue;
    }
    let permission: Permission;
    try {
      permission = await github.permission(login);
    } catch (e) {
      return { allowed: false, reason: `the permission of ${login} could not be checked (${errorMessage(e)}); refusing to be safe` };
    }
    if (!WRITERS.includes(permission)) {
      return { allowed: false, reason: `${login} has '${permission}' permission on the repository; taskcap needs write, maintain or admin` };
    }
  }
  return { allowed: true };
}
