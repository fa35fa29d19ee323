import fs from 'node:fs';
import path from 'node:path';

/**
 * Where a path really leads once every symbolic link on the way is followed, the way the kernel follows them:
 * a link's text is read relative to the directory holding the link, and a `..` after a link climbs from the
 * link's target, not from the link. Deciding from one link's own text is not enough: `a -> .` and `b -> a/..`
 * are each harmless on paper, yet `b` is the workspace's parent. Node's `fs.realpathSync` gets this wrong too
 * (it collapses `a/..` as text before looking at `a`), so taskcap resolves paths itself, against the working
 * tree on disk or against the tree a commit would hold.
 */

/** What one name is, as the resolver needs to know it. `missing` also covers anything that is not a directory. */
export type Node = { type: 'dir' } | { type: 'file' } | { type: 'link'; target: string } | { type: 'missing' };

/** Looks up a root-relative POSIX path ('' is the root). */
export type Lookup = (rel: string) => Node;

export type Resolution = (
  /** Lands inside the root at `rel` ('' = the root itself), outside any `.git`. */
  | { kind: 'inside'; rel: string }
  /** Climbs above the root, or is absolute (an absolute link means something else in every checkout). */
  | { kind: 'outside' }
  /** Reaches a `.git` directory (any case) or a name git treats as one. */
  | { kind: 'git' }
  /** More links than the kernel follows (a loop, or a chain built to exhaust it). */
  | { kind: 'loop' }
) & {
  /** The links followed on the way (root-relative paths), in order. */
  via: string[];
};

/** The kernel gives up after 40 links (MAXSYMLINKS); so does taskcap. */
export const MAX_LINK_HOPS = 40;

/**
 * True for a path component git treats as its own directory: `.git` in any case, and the spellings that mean
 * `.git` on NTFS (`git~1`, trailing dots or spaces, `::$INDEX_ALLOCATION`) or HFS+ (ignorable code points).
 */
export function isDotGit(component: string): boolean {
  const folded = component
    .replace(/[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g, '')
    .toLowerCase()
    .replace(/::\$index_allocation$/, '')
    .replace(/[. ]+$/, '');
  return folded === '.git' || folded === 'git~1';
}

/** A name folded the way NTFS and HFS+ compare names: ignorable code points out, case folded, trailing dots and spaces and an NTFS stream suffix dropped. */
function foldName(component: string): string {
  return component
    .replace(/[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g, '')
    .toLowerCase()
    .replace(/:.*$/, '')
    .replace(/[. ]+$/, '');
}

/**
 * The git file a name stands for on some file system (`.GITMODULES`, `gitmod~1`, `.gitmodules.` on NTFS, with
 * ignorable characters on HFS+), as git's own checks read it, or undefined for an ordinary name.
 */
export function gitFileName(component: string): '.gitmodules' | '.gitattributes' | '.gitignore' | '.mailmap' | undefined {
  const f = foldName(component);
  if (f === '.gitmodules' || /^(?:gitmod|gi7eba)~[1-4]$/.test(f)) return '.gitmodules';
  if (f === '.gitattributes' || /^(?:gitatt|gi7d29)~[1-4]$/.test(f)) return '.gitattributes';
  if (f === '.gitignore' || /^(?:gitign|gi250a)~[1-4]$/.test(f)) return '.gitignore';
  if (f === '.mailmap' || /^(?:mailma|maba30)~[1-4]$/.test(f)) return '.mailmap';
  return undefined;
}

/**
 * Resolve `text` (a link's target, or a path typed by the agent) starting in directory `from` (root-relative).
 * A name that does not exist yet (or is not a directory) is taken as a directory and the walk goes on as text:
 * that is where the path would lead once someone creates it, so a dangling chain is judged by its worst case.
 * `absoluteRoot`: an absolute path under it is read as root-relative (the workspace on disk); otherwise every
 * absolute path is outside (a committed link to `/home/runner/...` points somewhere else in every checkout).
 */
export function resolvePath(lookup: Lookup, from: string, text: string, opts: { absoluteRoot?: string; followLast?: boolean; hopsSoFar?: number } = {}): Resolution {
  const hopsSoFar = opts.hopsSoFar ?? 0;
  const followLast = opts.followLast ?? true;
  const stack = from === '' ? [] : from.split('/');
  const via: string[] = [];
  // An absolute path counts only when it names a place under `absoluteRoot` without any `..` (which could climb
  // through links); the walk then restarts at the root.
  const absolute = (t: string): string[] | undefined => {
    if (!t.startsWith('/')) return t.split('/');
    if (opts.absoluteRoot === undefined || t.split('/').includes('..')) return undefined;
    const rel = path.posix.relative(opts.absoluteRoot, path.posix.normalize(t));
    if (rel === '..' || rel.startsWith('../') || path.posix.isAbsolute(rel)) return undefined;
    stack.length = 0;
    return rel === '' ? [] : rel.split('/');
  };
  const start = absolute(text);
  if (start === undefined) return { kind: 'outside', via };
  let queue = start;
  while (queue.length > 0) {
    const c = queue.shift() as string;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length === 0) return { kind: 'outside', via };
      stack.pop();
      continue;
    }
    if (isDotGit(c)) return { kind: 'git', via };
    stack.push(c);
    const isLast = queue.every((q) => q === '' || q === '.');
    if (isLast && !followLast) break;
    const node = lookup(stack.join('/'));
    if (node.type !== 'link') continue;
    via.push(stack.join('/'));
    if (hopsSoFar + via.length > MAX_LINK_HOPS) return { kind: 'loop', via };
    stack.pop();
    const next = absolute(node.target);
    if (next === undefined) return { kind: 'outside', via };
    queue = [...next, ...queue];
  }
  return { kind: 'inside', rel: stack.join('/'), via };
}

/** Resolve a symbolic link found at `rel`: its text, read from the directory holding it (the link itself is a hop). */
export function resolveLink(lookup: Lookup, rel: string, target: string, opts: { absoluteRoot?: string } = {}): Resolution {
  return resolvePath(lookup, path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel), target, { ...opts, hopsSoFar: 1 });
}

/**
 * A lookup on the working tree under `root`, with `lstat` and `readlink` only (nothing is opened or followed by
 * the system). Answers are cached for one resolution batch; pass a fresh one after the tree may have changed.
 */
export function diskLookup(root: string): Lookup {
  const cache = new Map<string, Node>();
  return (rel) => {
    const hit = cache.get(rel);
    if (hit) return hit;
    let node: Node;
    try {
      const st = fs.lstatSync(path.join(root, rel));
      if (st.isSymbolicLink()) node = { type: 'link', target: fs.readlinkSync(path.join(root, rel), 'utf8') };
      else node = st.isDirectory() ? { type: 'dir' } : { type: 'file' };
    } catch {
      node = { type: 'missing' };
    }
    cache.set(rel, node);
    return node;
  };
}

/** A lookup on a tree given as its entries (path → file or link text): the tree a commit would hold. */
export function treeLookup(entries: ReadonlyMap<string, { link?: string }>): Lookup {
  const dirs = new Set<string>(['']);
  for (const p of entries.keys()) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return (rel) => {
    const e = entries.get(rel);
    if (e) return e.link !== undefined ? { type: 'link', target: e.link } : { type: 'file' };
    return dirs.has(rel) ? { type: 'dir' } : { type: 'missing' };
  };
}
