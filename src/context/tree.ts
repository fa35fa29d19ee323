import type { Git } from '../publish/git.js';

/** One file of a commit's tree, as git lists it. */
export interface TreeFile {
  path: string;
  /** 100644, 100755 (regular files), 120000 (a symbolic link), 160000 (a submodule). */
  mode: string;
  object: string;
}

/** A commit's files read from git's object store, never from the working tree (which the agent may change). */
export interface CommitFiles {
  sha: string;
  files: readonly TreeFile[];
  /** The text of a regular file of the tree, or undefined (absent, a link, a submodule, not UTF-8 text). */
  read(path: string): Promise<string | undefined>;
  /** Several files' texts, read by one git process (a process per file costs seconds for dozens on a big repository). */
  readMany(paths: readonly string[]): Promise<(string | undefined)[]>;
  /** Sizes in bytes of some files, asked of git in one go (sizes for the whole tree would cost seconds on big ones). */
  sizes(paths: readonly string[]): Promise<Map<string, number>>;
}

const REGULAR = new Set(['100644', '100755']);

/** Every file of `sha`'s tree (git's own order: byte order of the paths). */
export async function readCommitFiles(git: Git, sha: string): Promise<CommitFiles> {
  // -z: paths as they are (no quoting); --full-tree: the whole tree whatever the working directory. No -l: sizes
  // would make git open every object (seconds on 100,000 files).
  const out = await git.run(['ls-tree', '-r', '-z', '--full-tree', sha]);
  // "<mode> <type> <object>\t<path>\0", parsed by position: 100,000 entries are a few megabytes.
  const files: TreeFile[] = [];
  const text = out.stdout;
  for (let at = 0; at < text.length; ) {
    const end = text.indexOf('\0', at);
    const stop = end < 0 ? text.length : end;
    const tab = text.indexOf('\t', at);
    if (tab > at && tab < stop) {
      const space1 = text.indexOf(' ', at);
      const space2 = text.indexOf(' ', space1 + 1);
      files.push({ path: text.slice(tab + 1, stop), mode: text.slice(at, space1), object: text.slice(space2 + 1, tab) });
    }
    at = stop + 1;
  }
  const byPath = new Map(files.map((f) => [f.path, f]));
  const blobs = new Map<string, Promise<string | undefined>>();
  const sizes = new Map<string, number>();
  const readMany = (paths: readonly string[]): Promise<(string | undefined)[]> => {
    const missing = [...new Set(paths.filter((p) => !blobs.has(p) && REGULAR.has(byPath.get(p)?.mode ?? '')))];
    if (missing.length > 0) {
      const batch = readBlobs(git, missing.map((p) => byPath.get(p)!.object));
      missing.forEach((p, i) => blobs.set(p, batch.then((texts) => texts[i])));
    }
    return Promise.all(paths.map((p) => blobs.get(p) ?? Promise.resolve(undefined)));
  };
  return {
    sha,
    files,
    read: (path) => readMany([path]).then(([text]) => text),
    readMany,
    async sizes(paths) {
      const wanted = paths.map((p) => byPath.get(p)).filter((f): f is TreeFile => f !== undefined && REGULAR.has(f.mode) && !sizes.has(f.path));
      if (wanted.length > 0) {
        const out = await git.run(['cat-file', '--batch-check=%(objectname) %(objectsize)'], { input: wanted.map((f) => f.object).join('\n') + '\n', allowFailure: true });
        const bySha = new Map(out.stdout.split('\n').map((l) => l.split(' ')).filter((p) => p.length === 2).map(([o, n]) => [o, Number(n)]));
        for (const f of wanted) if (bySha.has(f.object)) sizes.set(f.path, bySha.get(f.object)!);
      }
      return new Map(paths.filter((p) => sizes.has(p)).map((p) => [p, sizes.get(p)!]));
    },
  };
}

/** Blobs by object id, through one `git cat-file --batch`; binary and non-UTF-8 blobs (not text for the prompt) are undefined. */
async function readBlobs(git: Git, objects: readonly string[]): Promise<(string | undefined)[]> {
  const out = await git.bytes(['cat-file', '--batch'], `${objects.join('\n')}\n`).catch(() => undefined);
  if (!out) return objects.map(() => undefined);
  const texts: (string | undefined)[] = [];
  let at = 0;
  for (let i = 0; i < objects.length; i++) {
    const eol = out.indexOf(0x0a, at);
    if (eol < 0) break;
    const [, type, size] = out.subarray(at, eol).toString('utf8').split(' ');
    at = eol + 1;
    if (size === undefined) {
      texts.push(undefined); // "<object> missing"
      continue;
    }
    const body = out.subarray(at, at + Number(size));
    at += Number(size) + 1;
    const text = type === 'blob' && !body.includes(0) ? body.toString('utf8') : undefined;
    texts.push(text !== undefined && !text.includes('\uFFFD') ? text : undefined);
  }
  return texts;
}

/**
 * The commit the repository context is read from: the default branch as the checkout has it (issue, schedule and
 * dispatch events check it out), else its tip fetched from origin (a pull request's checkout is its merge commit,
 * whose files the pull request wrote). Undefined when it cannot be had: then there is no repository context.
 */
export async function defaultBranchCommit(git: Git, defaultBranch: string, auth: Record<string, string>): Promise<string | undefined> {
  const head = await git.run(['symbolic-ref', '-q', 'HEAD'], { allowFailure: true });
  if (head.exitCode === 0 && head.stdout.trim() === `refs/heads/${defaultBranch}`) return git.output(['rev-parse', 'HEAD']);
  const fetched = await git.run(['fetch', '--no-tags', '--depth=1', 'origin', `+refs/heads/${defaultBranch}:refs/taskcap/default-branch`], { env: auth, allowFailure: true });
  if (fetched.exitCode !== 0) return undefined;
  return git.output(['rev-parse', 'refs/taskcap/default-branch']);
}
