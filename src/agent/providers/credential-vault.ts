/**
 * Credential files and directories the workflow's setup steps leave on the runner: google-github-actions/auth's
 * `gha-creds-*.json` in the workspace (GOOGLE_APPLICATION_CREDENTIALS), token files named by the environment, and the
 * Azure CLI's session directory when taskcap signs in to Foundry with it. Any process of the runner's user can read
 * them and an untracked file in the workspace would be committed, so for the whole loop (and the test command) they
 * are read into memory and removed, then put back exactly. The Azure CLI still needs its session while hidden: it
 * gets a private copy for the one command.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Environment variables that name credential files. */
const FILE_VARIABLES = [
  'GOOGLE_APPLICATION_CREDENTIALS',
  'GOOGLE_GHA_CREDS_PATH',
  'CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'ANTHROPIC_IDENTITY_TOKEN_FILE',
  'AZURE_FEDERATED_TOKEN_FILE',
];

/** What google-github-actions/auth names its credentials file (in the workspace unless told otherwise). */
export const GHA_CREDS_FILE = /^gha-creds-[0-9a-z]+\.json$/i;
/** The same, as a protected-path glob: the agent may not write one, and none reaches the patch. */
export const CREDENTIAL_GLOBS = ['gha-creds-*.json', '**/gha-creds-*.json'];

/** Parts of the Azure CLI directory that hold no credentials and can be large (logs, extensions). */
const AZURE_SKIP = new Set(['commands', 'logs', 'cliextensions', 'bin', 'telemetry']);
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** The credential paths of this run: files the environment names, gha-creds files in the workspace, extra dirs. */
export function credentialPaths(env: Record<string, string | undefined>, workspace: string, dirs: string[] = []): string[] {
  const found = new Set<string>();
  for (const name of FILE_VARIABLES) {
    const file = env[name];
    if (file && path.isAbsolute(file)) found.add(path.resolve(file));
    else if (file) found.add(path.resolve(workspace, file));
  }
  try {
    for (const entry of fs.readdirSync(workspace)) if (GHA_CREDS_FILE.test(entry)) found.add(path.join(workspace, entry));
  } catch {
    /* no workspace listing: nothing found there */
  }
  for (const dir of dirs) found.add(path.resolve(dir));
  return [...found];
}

type Saved = { file: string; content: Buffer; mode: number } | { dir: string; mode: number; entries: Saved[] };

function save(p: string, skip?: Set<string>): Saved | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return undefined;
  }
  if (st.isFile() && st.size <= MAX_FILE_BYTES) return { file: p, content: fs.readFileSync(p), mode: st.mode & 0o777 };
  if (st.isDirectory()) {
    const entries = fs
      .readdirSync(p)
      .filter((e) => !skip?.has(e))
      .map((e) => save(path.join(p, e)))
      .filter((s): s is Saved => s !== undefined);
    return { dir: p, mode: st.mode & 0o777, entries };
  }
  return undefined;
}

function write(saved: Saved, at: string): void {
  if ('file' in saved) fs.writeFileSync(at, saved.content, { mode: saved.mode });
  else {
    fs.mkdirSync(at, { recursive: true, mode: saved.mode });
    for (const e of saved.entries) write(e, path.join(at, path.basename('file' in e ? e.file : e.dir)));
  }
}

export class CredentialVault {
  private hidden = new Map<string, Saved>();

  constructor(readonly paths: readonly string[]) {}

  /**
   * Move every credential path out of reach. Returns the function that puts them back. Never throws: it runs between
   * other hidden credentials and their restore, and a path taskcap cannot read is one the agent cannot read either.
   */
  hide(): () => void {
    for (const p of this.paths) {
      if (this.hidden.has(p)) continue;
      let saved: Saved | undefined;
      try {
        saved = save(p, path.basename(p) === '.azure' ? AZURE_SKIP : undefined);
      } catch {
        continue;
      }
      if (!saved) continue;
      // Only what was saved is removed: the skipped parts of a directory (logs) stay where they are.
      if ('file' in saved) fs.rmSync(p, { force: true });
      else for (const e of saved.entries) fs.rmSync('file' in e ? e.file : e.dir, { recursive: true, force: true });
      this.hidden.set(p, saved);
    }
    return () => this.restore();
  }

  /** Put everything back; one path that cannot be written does not keep the others from being restored. */
  restore(): void {
    for (const [p, saved] of this.hidden) {
      try {
        write(saved, p);
      } catch {
        /* its directory is gone (a workspace removed under us): nothing to put it back into */
      }
    }
    this.hidden.clear();
  }

  /** Run `fn` with `dir` readable: the directory itself, or a private copy while it is hidden. */
  async withPath<T>(dir: string, fn: (available: string) => Promise<T>): Promise<T> {
    const saved = this.hidden.get(path.resolve(dir));
    if (!saved) return fn(dir);
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-cred-'));
    try {
      fs.chmodSync(copy, 0o700);
      write(saved, path.join(copy, 'dir'));
      return await fn(path.join(copy, 'dir'));
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }
}
