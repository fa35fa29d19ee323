import fs from 'node:fs';
import path from 'node:path';
import { BOT_EMAIL, BOT_NAME } from './branch.js';
import { NULL_OID } from './loose-objects.js';
import { syncWorkspace, type PublishRepo } from './publish-repo.js';
import { scanWorkTree, type Change, type TreeEntry } from './work-tree-scan.js';
import { GitError, type Git } from './git.js';
import type { ProtectedPaths } from '../tools/protected-paths.js';
import { diskLookup, gitFileName, resolveLink, treeLookup, type Resolution } from '../tools/resolve-links.js';

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
  for (let round = 0; round < 1000; round++) {
    const before = kept.length;
    kept = withoutClashes(scan.start, kept, drop);
    kept = withoutBadLinks(scan.start, scan.startLinks, kept, opts.protectedPaths, diskView, drop);
    if (kept.length === before) break;
  }

  const { tree, refused } = await writeTree(repo, opts.startSha, scan.start, kept);
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
  const identity = { GIT_AUTHOR_NAME: BOT_NAME, GIT_AUTHOR_EMAIL: BOT_EMAIL, GIT_COMMITTER_NAME: BOT_NAME, GIT_COMMITTER_EMAIL: BOT_EMAIL };
  const commit = (await repo.git.run(['commit-tree', patch.tree, '-p', patch.startSha, '-F', '-'], { env: identity, input: message })).stdout.trim();
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

/** The entries the commit would hold with `changes` applied to `start`. */
function applied(start: ReadonlyMap<string, TreeEntry>, changes: readonly Change[]): Map<string, TreeEntry> {
  const out = new Map(start);
  for (const c of changes) {
    if (c.new) out.set(c.path, c.new);
    else out.delete(c.path);
  }
  return out;
}

/** Leave out changes that a tree cannot hold next to what stays: a file inside a file, a file over a directory. */
function withoutClashes(start: ReadonlyMap<string, TreeEntry>, kept: Change[], drop: (c: Change, reason: string) => void): Change[] {
  for (;;) {
    const tree = applied(start, kept);
    const dirs = new Set<string>();
    for (const p of tree.keys()) {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    const clash = new Map<Change, string>();
    for (const c of kept) {
      if (!c.new) continue;
      if (dirs.has(c.path)) {
        clash.set(c, `it would replace the directory ${c.path}/, which keeps files left out of the patch`);
        continue;
      }
      const parts = c.path.split('/');
      for (let i = 1; i < parts.length; i++) {
        const above = tree.get(parts.slice(0, i).join('/'));
        if (above) {
          clash.set(c, above.mode === '160000' ? `it is inside the submodule ${parts.slice(0, i).join('/')}` : `it is below ${parts.slice(0, i).join('/')}, which stays a file`);
          break;
        }
      }
    }
    if (clash.size === 0) return kept;
    for (const [c, reason] of clash) drop(c, reason);
    kept = kept.filter((c) => !clash.has(c));
  }
}

/**
 * Leave out links that lead out of the repository, into `.git`, round in a loop, or onto protected files — in
 * the tree the commit would hold and in the working tree on disk. A link that was already in the starting commit
 * and now leads astray through changed links gets those changed links left out.
 */
function withoutBadLinks(
  start: ReadonlyMap<string, TreeEntry>,
  startLinks: ReadonlyMap<string, string>,
  kept: Change[],
  protectedPaths: ProtectedPaths,
  disk: ReturnType<typeof diskLookup>,
  drop: (c: Change, reason: string) => void,
): Change[] {
  const byPath = new Map(kept.map((c) => [c.path, c]));
  const tree = applied(start, kept);
  const links = new Map<string, { link?: string }>();
  for (const [p, e] of tree) {
    const changed = byPath.get(p);
    if (e.mode === '120000') links.set(p, { link: changed?.link ?? startLinks.get(p) ?? '' });
    else links.set(p, {});
  }
  const inTree = treeLookup(links);
  const startTreeLookup = treeLookup(new Map([...start].map(([p, e]) => [p, e.mode === '120000' ? { link: startLinks.get(p) ?? '' } : {}])));
  const bad = new Map<Change, string>();
  for (const [p, e] of links) {
    if (e.link === undefined) continue;
    const changed = byPath.get(p);
    const where = resolveLink(inTree, p, e.link);
    if (changed) {
      const onDisk = resolveLink(disk, p, e.link);
      const reason = linkProblem(where, protectedPaths, p) ?? linkProblem(onDisk, protectedPaths, p);
      if (reason) bad.set(changed, reason);
      continue;
    }
    // An unchanged link: fine if it leads where it led before or somewhere harmless.
    if (!linkProblem(where, protectedPaths, p)) continue;
    const before = resolveLink(startTreeLookup, p, e.link);
    if (before.kind === where.kind && (before.kind !== 'inside' || where.kind !== 'inside' || before.rel === where.rel)) continue;
    for (const v of where.via) {
      const culprit = byPath.get(v);
      if (culprit) bad.set(culprit, `it makes the existing link ${p} lead ${where.kind === 'inside' ? 'onto a protected path' : 'out of the repository'}`);
    }
  }
  for (const [c, reason] of bad) drop(c, reason);
  return kept.filter((c) => !bad.has(c));
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
 * built without it. The tree written is checked entry by entry against the one intended.
 */
async function writeTree(repo: PublishRepo, startSha: string, start: ReadonlyMap<string, TreeEntry>, wanted: Change[]): Promise<{ tree: string; refused: Change[] }> {
  const index = path.join(repo.dir, 'patch-index');
  const env = { GIT_INDEX_FILE: index };
  const line = (c: Change) => (c.new ? `${c.new.mode} ${c.new.oid}\t${c.path}\0` : `0 ${NULL_OID(repo.format)}\t${c.path}\0`);
  const refused: Change[] = [];
  let kept = wanted;
  for (let attempt = 0; attempt < 3; attempt++) {
    await repo.git.run(['read-tree', startSha], { env });
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
    const tree = (await repo.git.run(['write-tree'], { env })).stdout.trim();
    const actual = await treeEntries(repo.git, tree);
    const expected = applied(start, kept);
    const wrong = new Set<string>();
    for (const [p, e] of expected) if (actual.get(p) !== `${e.mode} ${e.oid}`) wrong.add(p);
    for (const p of actual.keys()) if (!expected.has(p)) wrong.add(p);
    if (wrong.size === 0) return { tree, refused };
    // A change git did not apply as asked is left out; an entry that should have stayed and did not can only have
    // been displaced by a change above or below it, which is left out too.
    const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
    const culprits = kept.filter((c) => [...wrong].some((p) => related(c.path, p)));
    if (culprits.length === 0) break;
    refused.push(...culprits);
    kept = kept.filter((c) => !culprits.includes(c));
  }
  throw new GitError('the patch could not be staged consistently (git wrote a tree other than the one intended)');
}

/** `mode oid` by path for every entry of a tree (names that are not UTF-8 are skipped, as in the scan). */
async function treeEntries(git: Git, tree: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const raw = await git.runRaw(['ls-tree', '-r', '-z', '--full-tree', tree]);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf(0, at);
    const rec = raw.subarray(at, end < 0 ? raw.length : end);
    at = end < 0 ? raw.length : end + 1;
    const tab = rec.indexOf(9);
    if (tab < 0) continue;
    let name: string;
    try {
      name = utf8.decode(rec.subarray(tab + 1));
    } catch {
      continue;
    }
    const [mode, , oid] = rec.subarray(0, tab).toString('latin1').split(' ');
    out.set(name, `${mode} ${oid}`);
  }
  return out;
}
