import fs from 'node:fs';
import path from 'node:path';
import type { ProtectedPaths } from './protected-paths.js';
import { diskLookup, isDotGit, resolvePath } from './resolve-links.js';
import { formatInt } from '../util/format.js';

/** A refusal the model should see as a tool error (never a crash). */
export class ToolError extends Error {
  override name = 'ToolError';
}

export interface ResolvedPath {
  /** Absolute path inside the workspace. */
  abs: string;
  /** POSIX path relative to the workspace root. */
  rel: string;
}

const isInside = (root: string, p: string): boolean => {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
};

const hasGitComponent = (rel: string): boolean => rel.split('/').some(isDotGit);

/** Linux limits: PATH_MAX and NAME_MAX, in bytes. Longer paths are refused with a clear message, not ENAMETOOLONG. */
const MAX_PATH_BYTES = 4095;
const MAX_NAME_BYTES = 255;

/**
 * Confines editor paths to the workspace: no NUL or control characters, no `..` escape, no absolute path
 * outside, no `.git` component in any case, no symlink (on any component) that leads outside, and for writes
 * no symlink at all as the final component. Protected paths are refused for writes.
 */
export class WorkspacePaths {
  readonly root: string;

  constructor(
    workspace: string,
    private readonly protectedPaths: ProtectedPaths,
  ) {
    this.root = fs.realpathSync.native(workspace);
  }

  resolve(input: unknown, mode: 'read' | 'write'): ResolvedPath {
    if (typeof input !== 'string' || input.trim() === '') throw new ToolError('`path` must be a non-empty string.');
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(input)) throw new ToolError('The path contains a NUL or control character; refused.');
    const abs = path.resolve(this.root, input);
    if (Buffer.byteLength(abs) > MAX_PATH_BYTES || abs.split('/').some((c) => Buffer.byteLength(c) > MAX_NAME_BYTES)) {
      throw new ToolError(`The path is too long (${formatInt(Buffer.byteLength(input))} bytes; a name may have ${MAX_NAME_BYTES}, a path ${MAX_PATH_BYTES}); refused.`);
    }
    if (!isInside(this.root, abs)) throw new ToolError(`${input} is outside the repository (${this.root}); refused.`);
    const rel = path.relative(this.root, abs).split(path.sep).join('/');
    if (hasGitComponent(rel)) throw new ToolError(`${input} is inside git's own directory; refused.`);

    // A link on the way that leads nowhere is refused with its own message (the resolver below would judge it by
    // where it would lead once created).
    let current = this.root;
    const parts = rel === '' ? [] : rel.split('/');
    for (let i = 0; i < parts.length; i++) {
      current = path.join(current, parts[i]);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(current);
      } catch {
        break; // the rest does not exist yet (a create)
      }
      if (!st.isSymbolicLink()) continue;
      if (mode === 'write' && i === parts.length - 1) throw new ToolError(`${input} is a symbolic link; writes never follow links.`);
      try {
        fs.realpathSync.native(current);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new ToolError(`${input} goes through a loop of symbolic links; refused.`);
        throw new ToolError(`${input} goes through a dangling symbolic link; refused.`);
      }
    }
    // Where the path really lands, every link followed as the kernel follows it (chains such as `a -> .`,
    // `b -> a/..` included): outside the workspace or into .git is refused; `wf -> .github/workflows` makes
    // `wf/x.yml` a workflow file for the protected-path check.
    const where = resolvePath(diskLookup(this.root), '', rel, { absoluteRoot: this.root, followLast: mode === 'read' });
    if (where.kind === 'outside') throw new ToolError(`${input} goes through a symbolic link that leads outside the repository; refused.`);
    if (where.kind === 'loop') throw new ToolError(`${input} goes through a loop of symbolic links; refused.`);
    if (where.kind === 'git') throw new ToolError(`${input} leads into git's own directory; refused.`);
    const realRel = where.rel;
    if (mode === 'write') {
      for (const candidate of new Set([rel, realRel])) {
        const glob = this.protectedPaths.match(candidate);
        if (glob) throw new ToolError(`${candidate} is a protected path (${glob}); taskcap never changes it.`);
      }
    }
    return { abs, rel };
  }

  /**
   * Re-check after opening: the file actually opened must still be inside the workspace (a link swapped in
   * between the check and the open is caught here).
   */
  assertOpenedInside(fd: number, shown: string): void {
    let real: string;
    try {
      real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return; // no procfs (not Linux): the component walk above is the guard
    }
    const rel = path.relative(this.root, real).split(path.sep).join('/');
    if (!isInside(this.root, real) || hasGitComponent(rel)) {
      throw new ToolError(`${shown} resolved outside the repository while being opened; refused.`);
    }
  }
}
