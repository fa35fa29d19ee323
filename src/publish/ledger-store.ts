import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../ports.js';
import { BOT_IDENTITY_ENV } from './identity.js';
import type { Git } from './git.js';

export const LEDGER_BRANCH = 'taskcap/ledger';
export const LEDGER_FILE = 'ledger.jsonl';
const REF = `refs/heads/${LEDGER_BRANCH}`;
const TRACKING = `refs/taskcap/ledger`;

/**
 * The ledger branch's tip (undefined: no branch yet), fetched without touching the working tree. Files are read at
 * the tip the fetch brought (not a separate ls-remote answer, which a concurrent run could make stale).
 */
async function fetchLedgerTip(git: Git, auth: Record<string, string>): Promise<string | undefined> {
  const fetched = await git.run(['fetch', '--no-tags', '--depth=1', 'origin', `+${REF}:${TRACKING}`], { env: auth, allowFailure: true });
  if (fetched.exitCode !== 0) {
    // Only a missing branch means an empty ledger; anything else (auth, network) is an error.
    const listed = await git.run(['ls-remote', '--heads', 'origin', REF], { env: auth });
    if (listed.stdout.trim()) throw new Error(`the ledger branch could not be fetched: ${fetched.stderr.trim()}`);
    return undefined;
  }
  return (await git.run(['rev-parse', '--verify', `${TRACKING}^{commit}`])).stdout.trim();
}

async function readAt(git: Git, tip: string | undefined, file: string): Promise<string | undefined> {
  if (!tip) return undefined;
  const blob = await git.run(['cat-file', '-p', `${tip}:${file}`], { allowFailure: true });
  return blob.exitCode === 0 ? blob.stdout : undefined;
}

/** Files of the ledger branch as they are now (a reader over one fetched tip). */
export async function readLedgerBranch(git: Git, auth: Record<string, string>): Promise<LedgerBranchReader> {
  const tip = await fetchLedgerTip(git, auth);
  return (file) => readAt(git, tip, file);
}

/** The whole ledger (empty when the branch does not exist yet). */
export async function readLedger(git: Git, auth: Record<string, string>): Promise<string> {
  return (await (await readLedgerBranch(git, auth))(LEDGER_FILE)) ?? '';
}

/** Reads a file as it is at the tip the update was built on (undefined: no such file). */
export type LedgerBranchReader = (file: string) => Promise<string | undefined>;

/**
 * Change files on the `taskcap/ledger` branch: `change` reads the branch as it is and returns the files to write
 * (or undefined: nothing to change). The commit is built with git plumbing (no checkout, the workspace is
 * untouched) and pushed leased on the tip it was built on. Concurrent runs race on that lease: the loser re-reads
 * and applies its change again to the newer files, so no change is lost and none is applied twice. Returns what
 * `change` returned on the attempt that won (undefined when there was nothing to write).
 */
export async function updateLedgerBranch<T extends Record<string, string>>(
  git: Git,
  auth: Record<string, string>,
  change: (read: LedgerBranchReader) => Promise<T | undefined>,
  clock: Clock,
  options: { attempts?: number; message?: string } = {},
): Promise<T | undefined> {
  const attempts = options.attempts ?? 6;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-ledger-'));
  try {
    for (let attempt = 1; ; attempt++) {
      // A fetch can lose a race too (the origin's ref moving under it): that is retried like a lost lease.
      const tip = await fetchLedgerTip(git, auth).catch((e: unknown) => (attempt < attempts ? null : Promise.reject(e)));
      if (tip === null) {
        await clock.sleep(200 * attempt + Math.floor(Math.random() * 300));
        continue;
      }
      const files = await change((file) => readAt(git, tip, file));
      if (!files) return undefined;
      const index = { GIT_INDEX_FILE: path.join(scratch, `index-${attempt}`) };
      if (tip) await git.run(['read-tree', tip], { env: index });
      for (const [file, content] of Object.entries(files)) {
        const blob = (await git.run(['hash-object', '-w', '--stdin'], { input: content })).stdout.trim();
        await git.run(['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], { env: index });
      }
      const tree = (await git.run(['write-tree'], { env: index })).stdout.trim();
      const message = options.message ?? 'taskcap: ledger entry';
      const commit = (await git.run(['commit-tree', tree, ...(tip ? ['-p', tip] : []), '-m', message], { env: { ...BOT_IDENTITY_ENV } })).stdout.trim();
      const pushed = await git.run(['push', '--no-verify', `--force-with-lease=${REF}:${tip ?? ''}`, 'origin', `${commit}:${REF}`], { env: auth, allowFailure: true });
      if (pushed.exitCode === 0) return files;
      if (attempt >= attempts) throw new Error(`the ledger branch could not be updated after ${attempts} attempts: ${pushed.stderr.trim()}`);
      await clock.sleep(200 * attempt + Math.floor(Math.random() * 300 * attempt));
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Append one line to `ledger.jsonl` on the `taskcap/ledger` branch (no line is lost to a concurrent run). */
export async function appendLedgerLine(git: Git, auth: Record<string, string>, line: string, clock: Clock, attempts = 6): Promise<void> {
  await updateLedgerBranch(git, auth, async (read) => ({ [LEDGER_FILE]: withLine((await read(LEDGER_FILE)) ?? '', line) }), clock, { attempts });
}

/** The ledger text with one more line. */
export function withLine(text: string, line: string): string {
  return `${text}${text && !text.endsWith('\n') ? '\n' : ''}${line.trimEnd()}\n`;
}
