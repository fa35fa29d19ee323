import fs from 'node:fs';
import path from 'node:path';
import { gitMode, NO_STAT_CACHE, readStatCache, type StatCache } from './index-stat-cache.js';
import { writeBlob } from './loose-objects.js';
import type { PublishRepo } from './publish-repo.js';
import { isDotGit } from '../tools/resolve-links.js';

/**
 * What the working tree holds compared with the starting commit, read by taskcap itself: `lstat`, `readlink` and
 * reads of regular files opened without following links. git is asked only for the starting tree and for the
 * list of untracked files the `.gitignore` files let through (`ls-files -o`, which reads names, never contents),
 * and it runs in the publication repository, so no attribute, filter, submodule setting or hook of the
 * workspace is involved. A file that cannot be part of a commit (a FIFO, an unreadable file, a nested
 * repository, a file too large for GitHub) is reported as a problem; nothing here throws for what the agent left.
 */

export interface TreeEntry {
  mode: string;
  oid: string;
}

export interface Change {
  path: string;
  /** In the starting commit (absent: a new path). */
  old?: TreeEntry;
  /** In the working tree (absent: deleted). */
  new?: TreeEntry;
  /** A symbolic link's text (for a new mode 120000). */
  link?: string;
  /** Why this change cannot be committed; the path is left out and named on the receipt. */
  problem?: string;
}

export interface WorkTreeScan {
  /** Every entry of the starting commit. */
  start: Map<string, TreeEntry>;
  /** Link texts of the starting commit's links. */
  startLinks: Map<string, string>;
  changes: Change[];
}

/** GitHub refuses any push that holds a file over 100 MB; such a file is left out instead. */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY = Buffer.alloc(0);

/** Split NUL-terminated git output into names, refusing (undefined) a name that is not valid UTF-8. */
function* records(raw: Buffer): Generator<{ text?: string; bytes: Buffer }> {
  // Usually every name is UTF-8: one decode for the whole output, then split.
  let whole: string | undefined;
  try {
    whole = utf8.decode(raw);
  } catch {
    whole = undefined;
  }
  if (whole !== undefined) {
    for (const text of whole.split('\0')) if (text) yield { text, bytes: EMPTY };
    return;
  }
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf(0, at);
    const bytes = raw.subarray(at, end < 0 ? raw.length : end);
    at = end < 0 ? raw.length : end + 1;
    if (bytes.length === 0) continue;
    let text: string | undefined;
    try {
      text = utf8.decode(bytes);
    } catch {
      text = undefined;
    }
    yield { text, bytes };
  }
}

/** Scan the working tree against `startSha`. */
export async function scanWorkTree(repo: PublishRepo, startSha: string, opts: { maxFileBytes?: number } = {}): Promise<WorkTreeScan> {
  const maxBytes = opts.maxFileBytes ?? MAX_FILE_BYTES;
  // The real path: a file is read only when the descriptor opened is exactly this path plus its name.
  const root = fs.realpathSync.native(repo.workspace);
  const start = new Map<string, TreeEntry>();
  const startLinks = new Map<string, string>();
  for (const r of records(await repo.git.runRaw(['ls-tree', '-r', '-z', '--full-tree', startSha]))) {
    // A tracked name that is not UTF-8 cannot be looked at safely by name: it stays as it was.
    if (r.text === undefined) continue;
    const tab = r.text.indexOf('\t');
    const [mode, , oid] = r.text.slice(0, tab).split(' ');
    start.set(r.text.slice(tab + 1), { mode, oid });
  }
  for (const [p, e] of start) {
    if (e.mode === '120000') startLinks.set(p, (await repo.git.runRaw(['cat-file', 'blob', e.oid])).toString('utf8'));
  }

  const scanIndex = path.join(repo.dir, 'scan-index');
  await repo.git.run(['read-tree', startSha], { env: { GIT_INDEX_FILE: scanIndex } });
  const untrackedRaw = await repo.workTreeGit(scanIndex).runRaw(['ls-files', '-z', '--others', '--exclude-standard']);

  const fsView = new FsView(root);
  const candidates = await trackedCandidates(repo, startSha);
  const stats = candidates ? NO_STAT_CACHE : loadStatCache(repo);
  const changes: Change[] = [];
  const nestedReported = new Set<string>();

  for (const [p, old] of start) {
    if (old.mode === '160000') continue; // a submodule's commit is never changed by taskcap
    if (candidates && !candidates.has(p)) continue;
    const now = fsView.entry(p);
    if (now.kind === 'absent') {
      changes.push({ path: p, old });
      continue;
    }
    if (now.kind === 'other') {
      changes.push({ path: p, old, new: old, problem: 'not a regular file (a FIFO, socket or device)' });
      continue;
    }
    if (now.kind === 'file') {
      const cached = stats.get(p);
      if (cached && cached.oid === old.oid && old.mode === octal(cached.mode) && stats.unchanged(cached, now.stat)) continue;
    }
    const read = readEntry(root, p, now, maxBytes, repo);
    if ('problem' in read) {
      changes.push({ path: p, old, new: old, problem: read.problem });
      continue;
    }
    if (read.entry.oid === old.oid && read.entry.mode === old.mode) continue;
    changes.push({ path: p, old, new: read.entry, link: read.link });
  }

  for (const r of records(untrackedRaw)) {
    if (r.text === undefined) {
      changes.push({ path: r.bytes.toString('utf8'), problem: 'its name is not valid UTF-8' });
      continue;
    }
    const p = r.text.replace(/\/$/, '');
    if (p.split('/').some(isDotGit)) {
      changes.push({ path: p, problem: "its name is git's own directory" });
      continue;
    }
    const nested = fsView.nestedRepository(p);
    if (nested !== undefined) {
      if (!nestedReported.has(nested)) changes.push({ path: `${nested}/`, problem: 'a nested git repository' });
      nestedReported.add(nested);
      continue;
    }
    if (r.text.endsWith('/')) {
      changes.push({ path: `${p}/`, problem: 'a nested git repository' });
      continue;
    }
    const now = fsView.entry(p);
    if (now.kind === 'absent') continue; // gone since it was listed
    if (now.kind === 'other') {
      changes.push({ path: p, problem: 'not a regular file (a FIFO, socket or device)' });
      continue;
    }
    const read = readEntry(root, p, now, maxBytes, repo);
    if ('problem' in read) changes.push({ path: p, problem: read.problem });
    else changes.push({ path: p, new: read.entry, link: read.link });
  }
  return { start, startLinks, changes };
}

const octal = (mode: number) => mode.toString(8).padStart(6, '0');

/** How long git may take to say which tracked files changed before taskcap reads them all itself. */
const HINT_TIMEOUT_MS = 15_000;

/**
 * The tracked paths that may differ from the starting commit, as git's own stat comparison sees them (C code:
 * 100,000 unchanged files cost a tenth of a second, not the seconds a stat per file costs from node): what the
 * workspace's index says differs from the starting commit, plus what differs from that index on disk. It runs in
 * taskcap's repository (its config, no hooks, submodules ignored) and only narrows the scan: a path it leaves out
 * is one whose file still matches the index and whose index entry is the starting commit's. Undefined (scan
 * everything) when the index cannot be read.
 */
async function trackedCandidates(repo: PublishRepo, startSha: string): Promise<Set<string> | undefined> {
  const index = path.join(repo.workspaceGitDir, 'index');
  try {
    if (!fs.lstatSync(index).isFile()) return undefined;
    // The index itself, read only (a rewritten copy would lose git's racy-timestamp check, which is what catches
    // an edit of the same size in the same second as the checkout). A racily clean file is compared by content:
    // a bound on time keeps a huge one from stalling the scan, which then falls back to reading everything.
    const git = repo.workTreeGit(index);
    const [onDisk, inIndex] = await Promise.all([
      git.runRaw(['diff-files', '--name-only', '-z', '--ignore-submodules=all'], { timeoutMs: HINT_TIMEOUT_MS }),
      git.runRaw(['diff-index', '--cached', '--name-only', '-z', '--ignore-submodules=all', startSha], { timeoutMs: HINT_TIMEOUT_MS }),
    ]);
    const out = new Set<string>();
    for (const raw of [onDisk, inIndex]) for (const r of records(raw)) if (r.text) out.add(r.text);
    return out;
  } catch {
    return undefined;
  }
}

function loadStatCache(repo: PublishRepo): StatCache {
  try {
    return readStatCache(path.join(repo.workspaceGitDir, 'index'), repo.format);
  } catch {
    return NO_STAT_CACHE;
  }
}

type FsEntry =
  | { kind: 'absent' }
  | { kind: 'other' }
  | { kind: 'file'; stat: fs.BigIntStats }
  | { kind: 'link'; stat: fs.BigIntStats }
  | { kind: 'dir' };

/** `lstat` of working-tree paths where no directory on the way may be a link (git never looks through one). */
class FsView {
  private readonly dirs = new Map<string, 'dir' | 'not-dir'>();
  private readonly nested = new Map<string, boolean>();

  constructor(private readonly root: string) {}

  entry(rel: string): FsEntry {
    const parent = path.posix.dirname(rel);
    if (parent !== '.' && !this.isRealDirectory(parent)) return { kind: 'absent' };
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(path.join(this.root, rel), { bigint: true });
    } catch {
      return { kind: 'absent' };
    }
    if (st.isSymbolicLink()) return { kind: 'link', stat: st };
    if (st.isFile()) return { kind: 'file', stat: st };
    if (st.isDirectory()) return { kind: 'absent' }; // a tracked file replaced by a directory: the file is gone
    return { kind: 'other' };
  }

  /** The directory (repo-relative) of the nested repository `rel` lies in, if any. */
  nestedRepository(rel: string): string | undefined {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      let found = this.nested.get(dir);
      if (found === undefined) {
        found = fs.existsSync(path.join(this.root, dir, '.git')) || isLink(path.join(this.root, dir, '.git'));
        this.nested.set(dir, found);
      }
      if (found) return dir;
    }
    return undefined;
  }

  private isRealDirectory(rel: string): boolean {
    const known = this.dirs.get(rel);
    if (known) return known === 'dir';
    const parent = path.posix.dirname(rel);
    let ok = parent === '.' || this.isRealDirectory(parent);
    if (ok) {
      try {
        ok = fs.lstatSync(path.join(this.root, rel)).isDirectory();
      } catch {
        ok = false;
      }
    }
    this.dirs.set(rel, ok ? 'dir' : 'not-dir');
    return ok;
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Read a file or link at `rel` and store it as a blob; a problem instead when it cannot be committed. */
function readEntry(
  root: string,
  rel: string,
  now: { kind: 'file' | 'link' | 'dir'; stat?: fs.BigIntStats },
  maxBytes: number,
  repo: PublishRepo,
): { entry: TreeEntry; link?: string } | { problem: string } {
  const abs = path.join(root, rel);
  if (now.kind === 'link') {
    let target: Buffer;
    try {
      target = fs.readlinkSync(abs, { encoding: 'buffer' });
    } catch {
      return { problem: 'a link that could not be read' };
    }
    let text: string;
    try {
      text = utf8.decode(target);
    } catch {
      return { problem: 'a link whose target is not valid UTF-8' };
    }
    return { entry: { mode: '120000', oid: writeBlob(repo.objects, target, repo.format) }, link: text };
  }
  if (now.kind !== 'file' || !now.stat) return { problem: 'not a regular file' };
  if (now.stat.size > BigInt(maxBytes)) {
    return { problem: `${formatMb(Number(now.stat.size))} MB, over the ${formatMb(maxBytes)} MB a file pushed to GitHub may have` };
  }
  let fd: number;
  try {
    // Never follow a link swapped in, never block on a FIFO swapped in.
    fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    return { problem: `could not be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    if (!st.isFile()) return { problem: 'not a regular file (a FIFO, socket or device)' };
    if (st.size > BigInt(maxBytes)) return { problem: `${formatMb(Number(st.size))} MB, over the ${formatMb(maxBytes)} MB a file pushed to GitHub may have` };
    if (!openedAt(fd, abs)) return { problem: 'it changed into a link while being read' };
    const content = readAll(fd, Number(st.size), maxBytes);
    if (content === undefined) return { problem: `over the ${formatMb(maxBytes)} MB a file pushed to GitHub may have` };
    return { entry: { mode: octal(gitMode(Number(st.mode))), oid: writeBlob(repo.objects, content, repo.format) } };
  } catch (e) {
    return { problem: `could not be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    fs.closeSync(fd);
  }
}

/** The descriptor really is the file at `abs` (no directory on the way was swapped for a link). */
function openedAt(fd: number, abs: string): boolean {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`) === abs;
  } catch {
    return true; // no procfs: the lstat walk is the guard
  }
}

/** Read to the end (the file may have grown since fstat), refusing more than `max` bytes. */
function readAll(fd: number, sizeHint: number, max: number): Buffer | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  let chunk = Buffer.alloc(Math.min(Math.max(sizeHint, 1), 16 * 1024 * 1024));
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    total += n;
    if (total > max) return undefined;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
    if (n === chunk.length && chunk.length < 16 * 1024 * 1024) chunk = Buffer.alloc(chunk.length * 2);
  }
  return Buffer.concat(chunks, total);
}

const formatMb = (bytes: number) => (bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1);
