/**
 * Paths a patch may never touch, whatever wrote them: workflow and action definitions (a pushed workflow runs
 * with the repo's secrets), ownership and git plumbing files, hooks, and taskcap's own config.
 */
export const DEFAULT_PROTECTED = [
  '.github/workflows/**',
  '.github/actions/**',
  'CODEOWNERS',
  '.github/CODEOWNERS',
  'docs/CODEOWNERS',
  '.gitmodules',
  // Git checks every .gitmodules it receives, at any depth: one with a hostile URL makes GitHub refuse the push.
  '**/.gitmodules',
  '.gitattributes',
  '**/.gitattributes',
  '.husky/**',
  // The metadata of a GitHub Action (at the root of an action repository, or in any directory `uses:` can name):
  // it decides what runs in every workflow that uses the action.
  'action.yml',
  'action.yaml',
  '**/action.yml',
  '**/action.yaml',
] as const;

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // "**/" matches zero or more directories; a trailing "**" matches everything below.
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // Case-insensitive: `.GitHub/Workflows/x.yml` is the same file on a case-insensitive checkout.
  return new RegExp(`^${re}$`, 'i');
}

/**
 * The directory every match of a glob lives under, lower-cased and with a trailing slash (`.github/workflows/**`
 * → `.github/workflows/`, `.github/CODEOWNERS` → `.github/`), or undefined when there is none (`CODEOWNERS`,
 * a glob that starts with a double star).
 */
function fixedDirectory(glob: string): string | undefined {
  const wild = glob.search(/[*?[]/);
  const fixed = wild < 0 ? glob : glob.slice(0, wild);
  const slash = fixed.lastIndexOf('/');
  return slash > 0 ? `${fixed.slice(0, slash).toLowerCase()}/` : undefined;
}

/** Matches repo-relative POSIX paths against protected globs; a directory glob also covers the directory itself. */
export class ProtectedPaths {
  private readonly patterns: { glob: string; re: RegExp; dir?: RegExp; fixedDir?: string }[];

  constructor(readonly globs: readonly string[]) {
    this.patterns = globs.map((glob) => ({
      glob,
      re: globToRegExp(glob),
      dir: glob.endsWith('/**') ? globToRegExp(glob.slice(0, -3)) : undefined,
      fixedDir: fixedDirectory(glob),
    }));
  }

  /** The glob that protects `rel`, if any. */
  match(rel: string): string | undefined {
    const p = rel.replace(/\\/g, '/').replace(/^\.\//, '');
    return this.patterns.find((x) => x.re.test(p) || x.dir?.test(p))?.glob;
  }

  /**
   * The glob of a protected path that `rel` is, is inside, or is a directory above (`.github` holds
   * `.github/workflows/**`; '' is the root and holds them all). A link pointing there, or standing there,
   * reaches protected files under another name: `gh -> .github` makes `gh/workflows/x.yml` a workflow.
   */
  reaches(rel: string): string | undefined {
    const direct = this.match(rel);
    if (direct || this.patterns.length === 0) return direct;
    const p = rel.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '').toLowerCase();
    if (p === '') return this.patterns[0].glob;
    return this.patterns.find((x) => x.fixedDir !== undefined && x.fixedDir.startsWith(`${p}/`))?.glob;
  }
}

/**
 * Whether a symlink committed at `rel` (repo-relative POSIX path) with link text `target` points outside the
 * repository or into `.git`: such a link is harmless to git but a trap for whatever later reads the checkout
 * (a CI step, a reviewer's editor), so the final diff should leave it out like a protected path.
 */
export function symlinkEscapes(rel: string, target: string): boolean {
  if (target === '' || target.startsWith('/') || target.includes('\0')) return true;
  const parts = rel.split('/').slice(0, -1);
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) return true;
      parts.pop();
    } else parts.push(c);
    if (c.toLowerCase() === '.git') return true;
  }
  return false;
}
