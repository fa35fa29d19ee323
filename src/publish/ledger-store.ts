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
 * The ledger branch's tip and file, read without touching the working tree. The tip is the commit the fetch
 * brought (not a separate ls-remote answer, which a concurrent run could make stale before the fetch).
 */
async function fetchLedger(git: Git, auth: Record<string, string>): Promise<{ tip?: string; text: string }> {
  const fetched = await git.run(['fetch', '--no-tags', '--depth=1', 'origin', `+${REF}:${TRACKING}`], { env: auth, allowFailure: true });
  if (fetched.exitCode !== 0) {
    // Only a missing branch means an empty ledger; anything else (auth, network) is an error.
    const listed = await git.run(['ls-remote', '--heads', 'origin', REF], { env: auth });
    if (listed.stdout.trim()) throw new Error(`the ledger branch could not be fetched: ${fetched.stderr.trim()}`);
    return { text: '' };
  }
  const tip = (await git.run(['rev-parse', '--verify', `${TRACKING}^{commit}`])).stdout.trim();
  const blob = await git.run(['cat-file', '-p', `${tip}:${LEDGER_FILE}`], { allowFailure: true });
  return { tip, text: blob.exitCode === 0 ? blob.stdout : '' };
}

/** The whole ledger (empty when the branch does not exist yet). */
export async function readLedger(git: Git, auth: Record<string, string>): Promise<string> {
  return (await fetchLedger(git, auth)).text;
}

/**
 * Append one line to `ledger.jsonl` on the `taskcap/ledger` branch: a commit built with git plumbing (no checkout,
 * the workspace is untouched), pushed leased on the tip it was built on. Concurrent runs race on that lease: the
 * loser re-reads the ledger and tries again, so no line is lost.
 */
export async function appendLedgerLine(git: Git, auth: Record<string, string>, line: string, clock: Clock, attempts = 6): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-ledger-'));
  try {
    for (let attempt = 1; ; attempt++) {
      // A fetch can lose a race too (the origin's ref moving under it): that is retried like a lost lease.
      const read = await fetchLedger(git, auth).catch((e: unknown) => (attempt < attempts ? undefined : Promise.reject(e)));
      if (!read) {
        await clock.sleep(200 * attempt + Math.floor(Math.random() * 300));
        continue;
      }
      const { tip, text } = read;
      const content = `${text}${text && !text.endsWith('\n') ? '\n' : ''}${line.trimEnd()}\n`;
      const index = { GIT_INDEX_FILE: path.join(scratch, `index-${attempt}`) };
      const blob = (await git.run(['hash-object', '-w', '--stdin'], { input: content })).stdout.trim();
      await git.run(['update-index', '--add', '--cacheinfo', `100644,${blob},${LEDGER_FILE}`], { env: index });
      const tree = (await git.run(['write-tree'], { env: index })).stdout.trim();
      const commit = (
        await git.run(['commit-tree', tree, ...(tip ? ['-p', tip] : []), '-m', 'taskcap: ledger entry'], { env: { ...BOT_IDENTITY_ENV } })
      ).stdout.trim();
      const pushed = await git.run(['push', '--no-verify', `--force-with-lease=${REF}:${tip ?? ''}`, 'origin', `${commit}:${REF}`], { env: auth, allowFailure: true });
      if (pushed.exitCode === 0) return;
      if (attempt >= attempts) throw new Error(`the ledger line could not be pushed after ${attempts} attempts: ${pushed.stderr.trim()}`);
      await clock.sleep(200 * attempt + Math.floor(Math.random() * 300));
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
