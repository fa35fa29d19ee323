import type { Clock } from '../ports.js';
import type { Git } from '../publish/git.js';
import { LEDGER_FILE, readLedgerBranch, updateLedgerBranch, withLine } from '../publish/ledger-store.js';
import { formatLedgerLine, parseLedger, type LedgerEntry } from '../records/ledger.js';
import { UserError } from '../util/errors.js';
import { emptyState, STATE_VERSION, type FanoutState } from './fanout-state.js';

/** Where a task's fan-out state lives on the `taskcap/ledger` branch. */
export const statePath = (task: string) => `fanout/${task}.json`;

/** Concurrent shards all report to the same file: more attempts than a single ledger line needs. */
const STATE_ATTEMPTS = 24;

function parseState(text: string | undefined, task: string, kind: FanoutState['kind']): FanoutState {
  if (text === undefined) return emptyState(task, kind);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError(`The fan-out state ${statePath(task)} on taskcap/ledger is not valid JSON. Delete the file to start the task over (done units will be planned again).`);
  }
  const s = raw as Partial<FanoutState> | null;
  if (!s || s.v !== STATE_VERSION || typeof s.units !== 'object' || !Array.isArray(s.plans) || typeof s.nextPlan !== 'number') {
    throw new UserError(`The fan-out state ${statePath(task)} on taskcap/ledger is not a version ${STATE_VERSION} state. Delete the file to start the task over.`);
  }
  if (s.kind !== kind) {
    throw new UserError(`The fan-out state ${statePath(task)} belongs to a ${s.kind} task, but tasks.${task} is now a ${kind}. Delete the file to start the task over.`);
  }
  return s as FanoutState;
}

/** The task's state as it is now (a fresh state when there is none). */
export async function readState(git: Git, auth: Record<string, string>, task: string, kind: FanoutState['kind']): Promise<FanoutState> {
  const read = await readLedgerBranch(git, auth);
  return parseState(await read(statePath(task)), task, kind);
}

/** What a change to the state also appends to the ledger (lines already there are not written again). */
export interface StateChange {
  ledger?: LedgerEntry[];
}

/**
 * Change the state (and the ledger) in one leased commit. `change` gets the state as it is on the branch and edits
 * it in place; returning false writes nothing. On a lost race it runs again on the newer state, so it must be a
 * function of the state it is given. Returns the state as written (or as read, when nothing was written).
 */
export async function updateState(
  git: Git,
  auth: Record<string, string>,
  clock: Clock,
  task: string,
  kind: FanoutState['kind'],
  change: (state: FanoutState) => StateChange | false,
): Promise<FanoutState> {
  let last: FanoutState | undefined;
  await updateLedgerBranch(
    git,
    auth,
    async (read) => {
      const state = parseState(await read(statePath(task)), task, kind);
      last = state;
      const result = change(state);
      if (result === false) return undefined;
      const files: Record<string, string> = { [statePath(task)]: `${JSON.stringify(state)}\n` };
      if (result.ledger?.length) {
        const text = (await read(LEDGER_FILE)) ?? '';
        const have = new Set(parseLedger(text).map((e) => `${e.runId} ${e.shard ?? ''}`));
        const fresh = result.ledger.filter((e) => !have.has(`${e.runId} ${e.shard ?? ''}`));
        if (fresh.length) files[LEDGER_FILE] = fresh.reduce((t, e) => withLine(t, formatLedgerLine(e)), text);
      }
      return files;
    },
    clock,
    { attempts: STATE_ATTEMPTS, message: `taskcap: fan-out state of ${task}` },
  );
  return last!;
}
