import fs from 'node:fs';
import path from 'node:path';
import type { PublishRepo } from './publish-repo.js';
import { scanWorkTree, type TreeEntry } from './work-tree-scan.js';

/**
 * What the test command writes (reports, snapshots, a rewritten fixture) is not the agent's work: the working tree
 * is put back as it was before the command ran, path by path, so the patch holds only the agent's changes. Both
 * states are read by the scanner that builds the patch, and files are restored from taskcap's own repository, so
 * no git command runs in the workspace (no checkout through the workspace's filters, attributes or config). Paths
 * the scanner cannot publish anyway (FIFOs, nested repositories) are left as they are.
 */
export interface WorkTreeState {
  startSha: string;
  /** Paths that differ from the starting commit: their entry, or null when deleted. */
  changed: Map<string, TreeEntry | null>;
  start: Map<string, TreeEntry>;
}

export async function snapshotWorkTree(repo: PublishRepo, startSha: string): Promise<WorkTreeState> {
  const scan = await scanWorkTree(repo, startSha);
  const changed = new Map<string, TreeEntry | null>();
  for (const c of scan.changes) if (!c.problem) changed.set(c.path, c.new ?? null);
  return { startSha, changed, start: scan.start };
}

/** Put back every path that differs from `before`; returns the paths put back. Never throws for one path. */
export async function revertSince(repo: PublishRepo, before: WorkTreeState): Promise<string[]> {
  const now = await snapshotWorkTree(repo, before.startSha);
  const root = fs.realpathSync.native(repo.workspace);
  const stateIn = (s: WorkTreeState, p: string) => (s.changed.has(p) ? s.changed.get(p) ?? null : before.start.get(p) ?? null);
  const same = (a: TreeEntry | null, b: TreeEntry | null) => (a === null ? b === null : b !== null && a.mode === b.mode && a.oid === b.oid);
  const putBack: string[] = [];
  const differing = [...new Set([...before.changed.keys(), ...now.changed.keys()])].filter((p) => !same(stateIn(before, p), stateIn(now, p)));
  // What the command added goes first (a file it put where a directory was), then what it changed or removed
  // comes back (its directories made again where needed).
  const removals = differing.filter((p) => stateIn(before, p) === null);
  const restores = differing.filter((p) => stateIn(before, p) !== null);
  for (const p of [...removals, ...restores]) {
    try {
      await restore(repo, root, p, stateIn(before, p));
      putBack.push(p);
    } catch {
      /* left as the command made it: the patch rules still apply to it */
    }
  }
  return putBack;
}

async function restore(repo: PublishRepo, root: string, rel: string, entry: TreeEntry | null): Promise<void> {
  if (!directoriesAreReal(root, rel)) return; // never write through a link a command planted
  const abs = path.join(root, rel);
  fs.rmSync(abs, { recursive: true, force: true });
  if (entry === null) return;
  const content = await repo.git.runRaw(['cat-file', 'blob', entry.oid]);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  if (entry.mode === '120000') fs.symlinkSync(content, abs);
  else fs.writeFileSync(abs, content, { mode: entry.mode === '100755' ? 0o755 : 0o644, flag: 'wx' });
}

/** Every directory above `rel` is a real directory or missing (created later), none a link or a file. */
function directoriesAreReal(root: string, rel: string): boolean {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(root, ...parts.slice(0, i)));
    } catch {
      return true;
    }
    if (!st.isDirectory()) return false;
  }
  return true;
}
