import fs from 'node:fs';
import path from 'node:path';
import { BOT_IDENTITY_ENV } from './identity.js';
import { NULL_OID } from './loose-objects.js';
import { syncWorkspace, type PublishRepo } from './publish-repo.js';
import { scanWorkTree, type Change, type TreeEntry } from './work-tree-scan.js';
import { GitError, type Git } from './git.js';
import type { ProtectedPaths } from '../tools/protected-paths.js';
import { diskLookup, gitFileName, resolveLink, type Lookup, type Resolution } from '../tools/resolve-links.js';

/**
 * The patch taskcap publishes: what the agent changed in the working tree, minus everything that must never
 * reach the branch (protected paths, mode changes, submodules and nested repositories, links that lead out of the
 * repository or into `.git` or onto protected files — each link followed through the whole tree, chains and
 * loops included — files GitHub would refuse, and files that hold a secret). Each left-out path carries the
 * reason. Staging never fails because of what is in the working tree: a path that would break it is left out
 * and reported, and the rest of the work still ships.
 */

export interface DroppedPath {
  path: string;
  reason: string;
}

export interface StagedPatch {
  startSha: string;
  /** The tree to commit (the starting commit's tree when nothing is left). */
  tree: string;
  startTree: string;
  /** Paths the patch changes. */
  changed: string[];
  /** Paths left out, with the reason. */
  dropped: DroppedPath[];
  /** Of those, the paths left out because they hold a secret or a token. */
  leaking: string[];
}

export interface StageOptions {
  startSha: string;
  protectedPaths: ProtectedPaths;
  /** True when text holds a secret (the redactor's `leaks`). */
  leaks?: (text: string) => boolean;
  maxFileBytes?: number;
}

const isFileMode = (mode: string) => mode === '100644' || mode === '100755';
/** The git file the last component of a path stands for, if any (see gitFileName). */
const special = (p: string) => gitFileName(path.posix.basename(p));


/** Scan the working tree and build the tree of the patch in the publication repository. */
export async function stagePatch(repo: PublishRepo, opts: StageOptions): Promise<StagedPatch> {
  const scan = await scanWorkTree(repo, opts.startSha, { maxFileBytes: opts.maxFileBytes });
  const startTree = await repo.git.output(['rev-parse', `${opts.startSha}^{tree}`]);
  const dropped: DroppedPath[] = [];
  const leaking: string[] = [];
  const drop = (c: Change, reason: string) => dropped.push({ path: c.path, reason });

  let kept: Change[] = [];
  for (const c of scan.changes) {
    const glob = opts.protectedPaths.match(c.path);
    if (opts.leaks?.(c.path)) {
      // A name is published too: a file named after a secret leaks it as surely as its content.
      drop(c, 'its name holds a secret or a token');
      leaking.push(c.path);
    } else if (c.problem) drop(c, c.problem);
    else if (glob) drop(c, `a protected path (${glob})`);
    else if (c.old && c.new && isFileMode(c.old.mode) && isFileMode(c.new.mode) && c.old.mode !== c.new.mode) {
      // The execute bit flipped: the mode change is left out, an edit of the content still ships.
      drop(c, `a mode change (${c.old.mode} → ${c.new.mode})`);
      if (c.new.oid !== c.old.oid) kept.push({ ...c, new: { mode: c.old.mode, oid: c.new.oid } });
    } else if (c.old && c.new && c.old.mode !== c.new.mode) drop(c, `a change of file type (${c.old.mode} → ${c.new.mode})`);
    else if (c.new && special(c.path) === '.gitmodules') drop(c, 'git reads this name as .gitmodules (checked by GitHub on every push)');
    else if (c.new && special(c.path) === '.gitattributes') drop(c, 'git reads this name as .gitattributes');
    else if (c.new?.mode === '120000' && special(c.path)) drop(c, 'git refuses this name as a symbolic link');
    else kept.push(c);
  }

  if (opts.leaks) {
    const clean: Change[] = [];
    for (const c of kept) {
      if (c.new && (await addsSecret(repo.git, c, opts.leaks))) {
        drop(c, 'it holds a secret or a token');
        leaking.push(c.path);
      } else clean.push(c);
    }
    kept = clean;
  }

  // Leaving a path out can put back an entry that clashes with another change (a file where a directory now
  // has files, a link on the way to a new file) or changes where a link leads: repeat until nothing moves.
  const diskView = diskLookup(fsRoot(repo));
  const startDirs = directoryCounts(scan.start.keys());
  for (let round = 0; round < 1000; round++) {
    const before = kept.length;
    kept = withoutClashes(new Overlay(scan.start, startDirs, kept), kept, drop);
    kept = withoutBadLinks(new Overlay(scan.start, startDirs, kept), scan.startLinks, kept, opts.protectedPaths, diskView, drop);
    if (kept.length === before) break;
  }

  const { tree, refused } = await writeTree(repo, opts.startSha, kept);
  for (const c of refused) drop(c, 'git refuses this path');
  const changed = kept.filter((c) => !refused.includes(c)).map((c) => c.path);
  return { startSha: opts.startSha, tree, startTree, changed, dropped, leaking };
}

/**
 * Commit the staged tree on the starting commit as github-actions[bot] (plumbing only: no hook, no signing, no
 * config of the workspace) and point the workspace's task branch at it. Undefined when the patch is empty.
 */
export async function commitPatch(repo: PublishRepo, ws: Git, patch: StagedPatch, message: string, branch: string, onSyncError?: (e: unknown) => void): Promise<string | undefined> {
  if (patch.tree === patch.startTree) return undefined;
  const commit = (await repo.git.run(['commit-tree', patch.tree, '-p', patch.startSha, '-F', '-'], { env: { ...BOT_IDENTITY_ENV }, input: message })).stdout.trim();
  await syncWorkspace(repo, ws, commit, branch).catch((e) => onSyncError?.(e));
  return commit;
}

/** The workspace's real path (links on disk are resolved from it). */
const fsRoot = (repo: PublishRepo) => {
  try {
    return fs.realpathSync.native(repo.workspace);
  } catch {
    return repo.workspace;
  }
};

const ancestors = (p: string): string[] => {
  const parts = p.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
};

/** For every directory, how many entries of `paths` lie below it. */
function directoryCounts(paths: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of paths) {
    for (let slash = p.indexOf('/'); slash > 0; slash = p.indexOf('/', slash + 1)) {
      const d = p.slice(0, slash);
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * The tree the commit would hold: the starting tree with the kept changes laid over it, answered without copying
 * the starting tree (100,000 entries are looked at once, not once per round).
 */
class Overlay {
  readonly byPath: Map<string, Change>;
  private readonly added = new Map<string, number>();
  private readonly removed = new Map<string, number>();

  constructor(
    readonly start: ReadonlyMap<string, TreeEntry>,
    private readonly startDirs: ReadonlyMap<string, number>,
    kept: readonly Change[],
  ) {
    this.byPath = new Map(kept.map((c) => [c.path, c]));
    for (const c of kept) {
      const inStart = start.has(c.path);
      if (c.new && !inStart) for (const d of ancestors(c.path)) this.added.set(d, (this.added.get(d) ?? 0) + 1);
      if (!c.new && inStart) for (const d of ancestors(c.path)) this.removed.set(d, (this.removed.get(d) ?? 0) + 1);
    }
  }

  get(p: string): TreeEntry | undefined {
    const c = this.byPath.get(p);
    return c ? c.new : this.start.get(p);
  }

  isDirectory(p: string): boolean {
    return (this.startDirs.get(p) ?? 0) - (this.removed.get(p) ?? 0) + (this.added.get(p) ?? 0) > 0;
  }
}

/** Leave out changes that a tree cannot hold next to what stays: a file inside a file, a file over a directory. */
function withoutClashes(tree: Overlay, kept: Change[], drop: (c: Change, reason: string) => void): Change[] {
  const clash = new Map<Change, string>();
  for (const c of kept) {
    if (!c.new) continue;
    if (tree.isDirectory(c.path)) {
      clash.set(c, `it would replace the directory ${c.path}/, which keeps files left out of the patch`);
      continue;
    }
    for (const a of ancestors(c.path)) {
      const above = tree.get(a);
      if (above) {
        clash.set(c, above.mode === '160000' ? `it is inside the submodule ${a}` : `it is below ${a}, which stays a file`);
        break;
      }
    }
  }
  for (const [c, reason] of clash) drop(c, reason);
  return clash.size ? kept.filter((c) => !clash.has(c)) : kept;
}

/**
 * Leave out links that lead out of the repository, into `.git`, round in a loop, or onto protected files — in
 * the tree the commit would hold and in the working tree on disk. A link that was already in the starting commit
 * and now leads astray through changed links gets those changed links left out.
 */
function withoutBadLinks(
  tree: Overlay,
  startLinks: ReadonlyMap<string, string>,
  kept: Change[],
  protectedPaths: ProtectedPaths,
  disk: ReturnType<typeof diskLookup>,
  drop: (c: Change, reason: string) => void,
): Change[] {
  const newLinks = kept.filter((c) => c.new?.mode === '120000');
  if (newLinks.length === 0 && startLinks.size === 0) return kept;
  const linkText = (p: string) => tree.byPath.get(p)?.link ?? startLinks.get(p) ?? '';
  // The resolver only needs to tell links from the rest: missing names and directories both continue as text.
  const inTree: Lookup = (rel) => {
    const e = tree.get(rel);
    return e?.mode === '120000' ? { type: 'link', target: linkText(rel) } : e ? { type: 'file' } : { type: 'missing' };
  };
  const inStart: Lookup = (rel) => {
    const e = tree.start.get(rel);
    return e?.mode === '120000' ? { type: 'link', target: startLinks.get(rel) ?? '' } : e ? { type: 'file' } : { type: 'missing' };
  };
  const bad = new Map<Change, string>();
  for (const c of newLinks) {
    const link = c.link ?? '';
    const reason = linkProblem(resolveLink(inTree, c.path, link), protectedPaths, c.path) ?? linkProblem(resolveLink(disk, c.path, link), protectedPaths, c.path);
    if (reason) bad.set(c, reason);
  }
  // An unchanged link: fine if it leads where it led before or somewhere harmless.
  for (const [p, link] of startLinks) {
    if (tree.byPath.has(p) || tree.get(p)?.mode !== '120000') continue;
    const where = resolveLink(inTree, p, link);
    if (!linkProblem(where, protectedPaths, p)) continue;
    const before = resolveLink(inStart, p, link);
    if (before.kind === where.kind && (before.kind !== 'inside' || where.kind !== 'inside' || before.rel === where.rel)) continue;
    for (const v of where.via) {
      const culprit = tree.byPath.get(v);
      if (culprit) bad.set(culprit, `it makes the existing link ${p} lead ${where.kind === 'inside' ? 'onto a protected path' : 'out of the repository'}`);
    }
  }
  for (const [c, reason] of bad) drop(c, reason);
  return bad.size ? kept.filter((c) => !bad.has(c)) : kept;
}

function linkProblem(where: Resolution, protectedPaths: ProtectedPaths, at: string): string | undefined {
  if (where.kind === 'outside') return 'a link that leads outside the repository';
  if (where.kind === 'git') return "a link that leads into git's own directory";
  if (where.kind === 'loop') return 'a link in a loop (or a chain longer than the 40 links the system follows)';
  const atGlob = protectedPaths.reaches(at);
  if (atGlob) return `a link standing where protected files live (${atGlob})`;
  const glob = protectedPaths.reaches(where.rel);
  if (glob) return `a link that leads to protected files (${glob}) under another name`;
  return undefined;
}

/** Whether a change adds a line holding a secret (lines the file already had do not count). */
async function addsSecret(git: Git, c: Change, leaks: (text: string) => boolean): Promise<boolean> {
  if (!c.new) return false;
  const text = (await git.runRaw(['cat-file', 'blob', c.new.oid])).toString('latin1');
  const oldLines = new Set<string>();
  if (c.old && c.old.mode !== '160000') for (const l of (await git.runRaw(['cat-file', 'blob', c.old.oid])).toString('latin1').split('\n')) oldLines.add(l);
  const added = text.split('\n').filter((l) => !oldLines.has(l));
  // Also joined: a secret wrapped over several lines (base64 at 76 columns, one character per line) still counts.
  return added.some(leaks) || leaks(added.join('')) || leaks(added.join('\n'));
}

/**
 * Write the index in the publication repository (the starting tree plus the kept changes) and its tree. A change
 * git will not take (it refuses some names, some of them silently) is returned in `refused`, and the tree is
 * built without it. What the index holds is checked against what was asked: every change as asked, nothing else.
 */
async function writeTree(repo: PublishRepo, startSha: string, wanted: Change[]): Promise<{ tree: string; refused: Change[] }> {
  const index = path.join(repo.dir, 'patch-index');
  const env = { GIT_INDEX_FILE: index };
  const line = (c: Change) => (c.new ? `${c.new.mode} ${c.new.oid}\t${c.path}\0` : `0 ${NULL_OID(repo.format)}\t${c.path}\0`);
  const refused: Change[] = [];
  let kept = wanted;
  // The scan already read the starting tree into an index: a copy saves reading 100,000 entries again.
  const startIndex = path.join(repo.dir, 'scan-index');
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt === 0 && fs.existsSync(startIndex)) fs.copyFileSync(startIndex, index);
    else await repo.git.run(['read-tree', startSha], { env });
    const batch = await repo.git.run(['update-index', '-z', '--index-info'], { env, input: kept.map(line).join(''), allowFailure: true });
    if (batch.exitCode !== 0) {
      // One at a time, so the one git refuses is the only one left out.
      await repo.git.run(['read-tree', startSha], { env });
      for (const c of kept) {
        const one = await repo.git.run(['update-index', '-z', '--index-info'], { env, input: line(c), allowFailure: true });
        if (one.exitCode !== 0) refused.push(c);
      }
      kept = kept.filter((c) => !refused.includes(c));
    }
    const actual = await indexChanges(repo.git, startSha, env);
    const expected = new Map(kept.map((c) => [c.path, c.new ? `${c.new.mode} ${c.new.oid}` : 'deleted']));
    const wrong = new Set<string>();
    for (const [p, e] of expected) if (actual.get(p) !== e) wrong.add(p);
    for (const p of actual.keys()) if (!expected.has(p)) wrong.add(p);
    if (wrong.size === 0) return { tree: (await repo.git.run(['write-tree'], { env })).stdout.trim(), refused };
    // A change git did not apply as asked is left out; an entry that should have stayed and did not can only have
    // been displaced by a change above or below it, which is left out too.
    const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
    const culprits = kept.filter((c) => [...wrong].some((p) => related(c.path, p)));
    if (culprits.length === 0) break;
    refused.push(...culprits);
    kept = kept.filter((c) => !culprits.includes(c));
  }
  throw new GitError('the patch could not be staged consistently (git wrote an index other than the one intended)');
}

/** How the index differs from the starting commit: `mode oid` or 'deleted' by path (names that are not UTF-8 skipped). */
async function indexChanges(git: Git, startSha: string, env: Record<string, string>): Promise<Map<string, string>> {
  const raw = await git.runRaw(['diff-index', '--cached', '--raw', '-z', '--no-renames', '--no-abbrev', startSha], { env });
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const out = new Map<string, string>();
  const parts: Buffer[] = [];
  for (let at = 0; at < raw.length; ) {
    const end = raw.indexOf(0, at);
    parts.push(raw.subarray(at, end < 0 ? raw.length : end));
    at = end < 0 ? raw.length : end + 1;
  }
  for (let i = 0; i + 1 < parts.length; i += 2) {
    // ":100644 100644 <old> <new> M" then the path
    const [, newMode, , newOid, status] = parts[i].toString('latin1').replace(/^:/, '').split(' ');
    let name: string;
    try {
      name = utf8.decode(parts[i + 1]);
    } catch {
      continue;
    }
    out.set(name, status === 'D' ? 'deleted' : `${newMode} ${newOid}`);
  }
  return out;
}
