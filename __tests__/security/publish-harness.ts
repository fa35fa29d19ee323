// Publication against a real origin, without the loop: a bare repository served over smart HTTP (demanding
// checkout's header), a shallow checkout made the way actions/checkout leaves it, and taskcap's own staging,
// commit and push by id. What an agent would leave behind is written straight into the workspace by the test.
// Not a test file itself (no `.test.ts`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authEnv } from '../../src/publish/credentials.js';
import { Git } from '../../src/publish/git.js';
import { openPublishRepo, pushCommit, type PublishRepo } from '../../src/publish/publish-repo.js';
import { commitPatch, stagePatch, type StagedPatch } from '../../src/publish/stage-patch.js';
import { DEFAULT_PROTECTED, ProtectedPaths } from '../../src/tools/protected-paths.js';
import { diskLookup, resolveLink, treeLookup } from '../../src/tools/resolve-links.js';
import { checkoutAuthHeader, makeCheckout } from '../../test/sim/checkout.mjs';
import { gitIn, gitTry, makeBareRepo, startGitOrigin } from '../../test/sim/git-origin.mjs';
import { TOKEN } from '../../test/sim/world.mjs';

export const BASE_FILES: Record<string, string> = {
  'README.md': '# demo\n',
  'src/app.js': 'export const answer = () => 41;\n',
  'src/util/slug.js': 'export const slug = (s) => s.toLowerCase();\n',
  'docs/guide.md': 'How to use it.\n',
  'scripts/build.sh': 'echo build\n',
  '.github/workflows/ci.yml': 'name: ci\non: push\njobs: {}\n',
  '.github/taskcap.yml': 'classes: {}\n',
  'CODEOWNERS': '* @acme/maintainers\n',
  '.gitignore': 'node_modules/\n*.log\n',
};

export const PROTECTED = new ProtectedPaths([...DEFAULT_PROTECTED, '.github/taskcap.yml']);

export interface Origin {
  root: string;
  url: string;
  gitDir: string;
  auth: Record<string, string>;
  /** git in the bare origin. */
  git(args: string[]): Promise<string>;
  /** A fresh checkout (like a new job), with `prepare` run in it before the test's agent acts. */
  checkout(): Promise<Checkout>;
  close(): Promise<void>;
}

export interface Checkout {
  workspace: string;
  git: Git;
  startSha: string;
  /** Write files (relative path → content) into the workspace. */
  write(files: Record<string, string | Buffer>): void;
  /** Stage, commit and push to `taskcap/<branch>` (the publication path of a run, without the loop). */
  publish(branch: string, opts?: { leaks?: (t: string) => boolean; maxFileBytes?: number; between?: (repo: PublishRepo) => Promise<void> }): Promise<Published>;
}

export interface Published {
  patch: StagedPatch;
  commit?: string;
}

let counter = 0;

/** An origin holding `files` (and symbolic `links`: path → target) as its first commit on main. */
export async function startOrigin(files: Record<string, string> = BASE_FILES, links: Record<string, string> = {}): Promise<Origin> {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-publish-test-')));
  const originRoot = path.join(root, 'origin');
  const bare = await makeBareRepo({ root: originRoot, owner: 'acme', repo: 'slugkit', files });
  if (Object.keys(links).length) {
    const env = { GIT_INDEX_FILE: path.join(root, 'links-index'), GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@example.com', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@example.com' };
    await gitIn(bare.gitDir, ['read-tree', 'refs/heads/main'], env);
    for (const [p, target] of Object.entries(links)) {
      const oid = (await gitTry(bare.gitDir, ['hash-object', '-w', '--stdin'], env, target)).stdout.trim();
      await gitIn(bare.gitDir, ['update-index', '--add', '--cacheinfo', `120000,${oid},${p}`], env);
    }
    const tree = (await gitIn(bare.gitDir, ['write-tree'], env)).stdout.trim();
    const commit = (await gitIn(bare.gitDir, ['commit-tree', tree, '-p', 'refs/heads/main', '-m', 'links'], env)).stdout.trim();
    await gitIn(bare.gitDir, ['update-ref', 'refs/heads/main', commit]);
  }
  // Like GitHub: every object pushed is checked (a tree git calls invalid is refused, and so is the whole push).
  await gitIn(bare.gitDir, ['config', 'receive.fsckObjects', 'true']);
  const server = await startGitOrigin({ token: TOKEN, root: originRoot });
  const url = server.url;
  return {
    root,
    url,
    gitDir: bare.gitDir,
    auth: authEnv(url, checkoutAuthHeader(TOKEN)),
    git: async (args) => (await gitIn(bare.gitDir, args)).stdout,
    async checkout() {
      counter += 1;
      const workspace = path.join(root, `run-${counter}`, 'work', 'slugkit');
      const runnerTemp = path.join(root, `run-${counter}`, 'temp');
      const made = await makeCheckout({ serverUrl: url, owner: 'acme', repo: 'slugkit', token: TOKEN, workspace, runnerTemp });
      // A HOME under the test's root (removed with it), not a temporary directory of its own per instance.
      const home = path.join(root, `run-${counter}`, 'git-home');
      fs.mkdirSync(home, { recursive: true });
      const git = new Git(made.workspace, home);
      const startSha = await git.output(['rev-parse', 'HEAD']);
      return {
        workspace: made.workspace,
        git,
        startSha,
        write(entries) {
          for (const [rel, content] of Object.entries(entries)) {
            fs.mkdirSync(path.dirname(path.join(made.workspace, rel)), { recursive: true });
            fs.writeFileSync(path.join(made.workspace, rel), content);
          }
        },
        async publish(branch, opts = {}) {
          // Opened before "the agent" acts in a real run; here the test has already written its files, which is
          // equivalent for everything the publication repository reads (origin URL, shallow, excludes).
          const repo = await openPublishRepo(git);
          try {
            const patch = await stagePatch(repo, { startSha, protectedPaths: PROTECTED, leaks: opts.leaks, maxFileBytes: opts.maxFileBytes });
            const commit = await commitPatch(repo, git, patch, `taskcap: ${branch}\n`, `taskcap/${branch}`);
            await opts.between?.(repo);
            if (commit) await pushCommit(repo, commit, `taskcap/${branch}`, undefined, { ...authEnv(url, checkoutAuthHeader(TOKEN)) });
            return { patch, commit };
          } finally {
            repo.dispose();
          }
        },
      };
    },
    async close() {
      await server.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Files (path → `mode oid`) of a ref in the origin. */
export async function treeOf(origin: Origin, ref: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const listing = await origin.git(['ls-tree', '-r', '-z', '--full-tree', ref]);
  for (const rec of listing.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, , oid] = rec.slice(0, tab).split(' ');
    out.set(rec.slice(tab + 1), `${mode} ${oid}`);
  }
  return out;
}

/** The content of a file on a ref of the origin. */
export async function showFile(origin: Origin, ref: string, file: string): Promise<string | undefined> {
  const r = await gitTry(origin.gitDir, ['cat-file', 'blob', `${ref}:${file}`]);
  return r.code === 0 ? r.stdout : undefined;
}

/** Paths that differ between two refs of the origin. */
export async function changedPaths(origin: Origin, from: string, to: string): Promise<string[]> {
  const out = await origin.git(['diff', '--name-only', '-z', '--no-renames', from, to]);
  return out.split('\0').filter(Boolean).sort();
}

/**
 * Every link in a tree of the origin that leads outside it, into .git, or round in a loop (followed through
 * the whole tree as the kernel would). Empty for a tree that is safe to check out.
 */
export async function escapingLinks(origin: Origin, ref: string): Promise<string[]> {
  const tree = await treeOf(origin, ref);
  const entries = new Map<string, { link?: string }>();
  for (const [p, e] of tree) {
    entries.set(p, e.startsWith('120000 ') ? { link: (await gitIn(origin.gitDir, ['cat-file', 'blob', e.split(' ')[1]])).stdout } : {});
  }
  const lookup = treeLookup(entries);
  return [...entries].filter(([p, e]) => e.link !== undefined && resolveLink(lookup, p, e.link).kind !== 'inside').map(([p]) => p);
}

/** Like `escapingLinks`, on the working tree of a checkout (to show what the attack looked like on disk). */
export function escapesOnDisk(workspace: string, rel: string): boolean {
  return resolveLink(diskLookup(workspace), rel, fs.readlinkSync(path.join(workspace, rel))).kind !== 'inside';
}
