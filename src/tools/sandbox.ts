import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { BASH_WRAPPER, createHostShell, createProcessShell, type Shell, type ShellRequest, type ShellResult } from './shell.js';

/**
 * The sandbox for the agent's commands (bash tool and test command): bubblewrap with its own user, PID, network,
 * IPC and UTS namespaces, a read-only view of the machine, the workspace writable except its `.git`, and the
 * runner's secrets (RUNNER_TEMP, the runner user's HOME, /run sockets, the action's own process) out of sight.
 *
 * `auto` uses it when it works and otherwise runs on the host, loudly; `required` fails closed; `off` never tries.
 */
export type SandboxMode = 'auto' | 'required' | 'off';
export const SANDBOX_MODES: readonly SandboxMode[] = ['auto', 'required', 'off'];

export interface SandboxLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface SandboxOptions {
  mode: SandboxMode;
  /** The checkout: bound read-write at its own path, its `.git` read-only. */
  workspace: string;
  /** HOME of the agent's commands: bound read-write; its `tmp/` is the sandbox's /tmp (kept between commands). */
  agentHome: string;
  /** Directories (or files) masked with an empty tmpfs (a file: /dev/null): RUNNER_TEMP, the runner's HOME, … */
  hide: string[];
  log: SandboxLog;
}

export interface SandboxShell {
  shell: Shell;
  sandboxed: boolean;
  /** For the receipt when commands run without a sandbox: "commands ran without a sandbox: …". */
  note?: string;
  /** Undo host changes made to enable the sandbox (the AppArmor sysctl). Safe to call more than once. */
  dispose(): Promise<void>;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What the sandbox needs from the machine; tests replace it to play a runner with AppArmor or without bwrap. */
export interface SandboxSystem {
  uid(): number;
  findBwrap(): string | undefined;
  /** Run a program without a shell (bwrap --help, sudo, sysctl). Never throws. */
  exec(file: string, args: string[], timeoutMs: number): Promise<ExecResult>;
  readFile(file: string): string | undefined;
  /** Run the probe command in a candidate shell. */
  probe(shell: Shell, request: ShellRequest): Promise<ShellResult>;
}

/** Directories masked on every run besides the caller's: sockets (a docker.sock is root on the host) and temp. */
export const ALWAYS_HIDDEN = ['/run', '/var/run', '/var/tmp', '/dev/shm'] as const;

/** Where Ubuntu (23.10+, the 24.04 runner image) keeps unprivileged user namespaces behind AppArmor. */
export const APPARMOR_USERNS_SYSCTL = 'kernel.apparmor_restrict_unprivileged_userns';
/** Debian's older switch for unprivileged user namespaces. */
export const USERNS_CLONE_SYSCTL = 'kernel.unprivileged_userns_clone';
const sysctlFile = (name: string) => `/proc/sys/${name.replace(/\./g, '/')}`;

const PROBE_MARK = 'taskcap-sandbox-ok';
const PROBE_TIMEOUT_MS = 20_000;

export interface BwrapFeatures {
  /** bubblewrap ≥ 0.8: no nested user namespaces inside the sandbox. */
  disableUserns: boolean;
  /** Running as root: drop every capability inside (root in a user namespace could otherwise unmount `.git`). */
  dropCaps: boolean;
}

export interface SandboxLayout {
  workspace: string;
  agentHome: string;
  hide: string[];
}

interface Mount {
  op: '--tmpfs' | '--bind' | '--ro-bind';
  src?: string;
  dest: string;
  /** Among mounts at the same depth: masks first, then writable binds, then read-only binds on top. */
  rank: number;
}

const depth = (p: string) => (p === '/' ? 0 : p.split('/').length - 1);
const isWithin = (parent: string, child: string) => child === parent || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);

/** A real, absolute path, or undefined when it does not exist. */
function realOrUndefined(p: string): string | undefined {
  try {
    return fs.realpathSync(path.resolve(p));
  } catch {
    return undefined;
  }
}

/**
 * The bubblewrap arguments before `--`. Mounts are ordered by depth so a deeper mount is never covered by a
 * shallower one: the runner's HOME is masked, then the workspace inside it is bound back, then its `.git`
 * read-only on top.
 */
export function bwrapArgs(layout: SandboxLayout, features: BwrapFeatures): string[] {
  const args = [
    '--unshare-all', // user, pid, net, ipc, uts, cgroup: no network, no view of the runner's processes
    ...(features.disableUserns ? ['--unshare-user', '--disable-userns'] : []),
    ...(features.dropCaps ? ['--cap-drop', 'ALL'] : []),
    '--die-with-parent', // the action dies → every command dies
    '--new-session', // no controlling terminal to inject keystrokes into
    '--hostname', 'taskcap-sandbox',
    '--ro-bind', '/', '/',
    '--proc', '/proc', // a fresh procfs of the new PID namespace: the action's /proc/<pid>/environ is not there
    '--dev', '/dev',
  ];
  const mounts: Mount[] = [];
  const protectedRoots = [layout.workspace, layout.agentHome];
  for (const hidden of layout.hide) {
    // Masking the workspace (or the agent's HOME) itself would only be undone by the bind below; skip it.
    if (hidden === '/' || protectedRoots.includes(hidden)) continue;
    let st: fs.Stats;
    try {
      st = fs.statSync(hidden);
    } catch {
      continue;
    }
    if (st.isDirectory()) mounts.push({ op: '--tmpfs', dest: hidden, rank: 0 });
    else mounts.push({ op: '--ro-bind', src: '/dev/null', dest: hidden, rank: 0 });
  }
  mounts.push({ op: '--bind', src: path.join(layout.agentHome, 'tmp'), dest: '/tmp', rank: 1 });
  mounts.push({ op: '--bind', src: layout.workspace, dest: layout.workspace, rank: 1 });
  mounts.push({ op: '--bind', src: layout.agentHome, dest: layout.agentHome, rank: 1 });
  const gitDir = path.join(layout.workspace, '.git');
  if (fs.existsSync(gitDir)) mounts.push({ op: '--ro-bind', src: gitDir, dest: gitDir, rank: 2 });
  mounts.sort((a, b) => depth(a.dest) - depth(b.dest) || a.rank - b.rank);
  for (const m of mounts) args.push(m.op, ...(m.src !== undefined ? [m.src] : []), m.dest);
  return args;
}

/** The paths the sandbox needs, resolved; the agent's /tmp directory is created if missing. */
export function sandboxLayout(opts: Pick<SandboxOptions, 'workspace' | 'agentHome' | 'hide'>): SandboxLayout {
  const workspace = realOrUndefined(opts.workspace);
  if (!workspace) throw new UserError(`The workspace ${opts.workspace} does not exist.`);
  fs.mkdirSync(path.join(opts.agentHome, 'tmp'), { recursive: true });
  const agentHome = fs.realpathSync(opts.agentHome);
  const hide = new Set<string>();
  for (const h of [...opts.hide, ...ALWAYS_HIDDEN]) {
    if (!h) continue;
    const real = realOrUndefined(h);
    if (real && real !== '/') hide.add(real);
  }
  hide.delete('/tmp'); // /tmp is replaced by the agent's own tmp, not masked
  return { workspace, agentHome, hide: [...hide] };
}

function bwrapShell(bwrap: string, layout: SandboxLayout, features: BwrapFeatures): Shell {
  const prefix = bwrapArgs(layout, features);
  const writable = (p: string | undefined) => p !== undefined && path.isAbsolute(p) && (isWithin(layout.agentHome, p) || isWithin(layout.workspace, p));
  const shell = createProcessShell('bubblewrap', (req) => {
    // Commands start in the workspace; a root outside it would not exist inside the sandbox.
    const chdir = isWithin(layout.workspace, req.root) ? req.root : layout.workspace;
    // A HOME or TMPDIR the sandbox does not bind would not exist inside: point them at the agent's HOME.
    const fixEnv = [
      ...(writable(req.env.HOME) ? [] : ['--setenv', 'HOME', layout.agentHome]),
      ...(req.env.TMPDIR === undefined || writable(req.env.TMPDIR) ? [] : ['--setenv', 'TMPDIR', path.join(layout.agentHome, 'tmp')]),
    ];
    return {
      file: bwrap,
      args: [...prefix, ...fixEnv, '--chdir', chdir, '--', '/bin/bash', '--noprofile', '--norc', '-c', BASH_WRAPPER, 'taskcap-bash', req.cwd, chdir, req.command],
    };
  });
  return { ...shell, home: layout.agentHome };
}

export const realSystem: SandboxSystem = {
  uid: () => (typeof process.getuid === 'function' ? process.getuid() : -1),
  findBwrap() {
    const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/bin', '/usr/local/bin'];
    for (const dir of dirs) {
      if (!dir || !path.isAbsolute(dir)) continue;
      const candidate = path.join(dir, 'bwrap');
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        /* not here */
      }
    }
    return undefined;
  },
  exec: (file, args, timeoutMs) =>
    new Promise((resolve) => {
      execFile(
        file,
        args,
        { timeout: timeoutMs, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' }, encoding: 'utf8', maxBuffer: 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof (error as NodeJS.ErrnoException).code === 'number' ? Number((error as NodeJS.ErrnoException).code) : 1) : 0;
          resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr ?? error?.message ?? '') });
        },
      ).stdin?.end();
    }),
  readFile(file) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  probe: (shell, request) => shell.run(request),
};

type Probe = { ok: true } | { ok: false; detail: string };

async function probeShell(system: SandboxSystem, shell: Shell, layout: SandboxLayout): Promise<Probe> {
  const result = await system.probe(shell, {
    command: `echo ${PROBE_MARK}`,
    cwd: layout.workspace,
    root: layout.workspace,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: layout.agentHome, LANG: 'C.UTF-8' },
    timeoutMs: PROBE_TIMEOUT_MS,
    maxOutputBytes: 4000,
  });
  if (result.exitCode === 0 && result.output.trim() === PROBE_MARK && result.cwd === layout.workspace) return { ok: true };
  const said = result.output.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
  const how = result.timedOut ? 'timed out' : `exit ${result.exitCode ?? 'none'}`;
  return { ok: false, detail: `${how}${said ? `: ${said.slice(0, 300)}` : ''}` };
}

export type SandboxDetection =
  | { ok: true; bwrap: string; features: BwrapFeatures; layout: SandboxLayout; shell: Shell; steps: string[]; undo: (() => Promise<void>)[] }
  | { ok: false; reason: string; fix: string; steps: string[]; undo: (() => Promise<void>)[] };

/**
 * Find bubblewrap and prove it works here with a trivial command. When user namespaces are restricted (Ubuntu's
 * AppArmor switch, Debian's userns_clone) and sudo works without a password, lift the restriction the way other
 * agent actions do on GitHub's ubuntu-24.04 runners, and probe again. Every step taken is logged and returned.
 */
export async function detectSandbox(
  opts: Pick<SandboxOptions, 'workspace' | 'agentHome' | 'hide'> & { log?: SandboxLog },
  system: SandboxSystem = realSystem,
): Promise<SandboxDetection> {
  const steps: string[] = [];
  const undo: (() => Promise<void>)[] = [];
  const log = opts.log ?? { info: () => {}, warn: () => {} };
  const note = (m: string) => {
    steps.push(m);
    log.info(`Sandbox: ${m}`);
  };
  const bwrap = system.findBwrap();
  if (!bwrap) {
    return {
      ok: false,
      reason: 'bubblewrap (bwrap) is not installed on this runner',
      fix: 'Install it in a step before taskcap: `sudo apt-get install -y bubblewrap`.',
      steps,
      undo,
    };
  }
  const layout = sandboxLayout(opts);
  // The probe runs beside `--help`, assuming a bubblewrap recent enough for --disable-userns (0.8+, as on
  // ubuntu-24.04); only an older one costs a second probe.
  const dropCaps = system.uid() === 0;
  const recent = bwrapShell(bwrap, layout, { disableUserns: true, dropCaps });
  const [help, recentProbe] = await Promise.all([system.exec(bwrap, ['--help'], 10_000), probeShell(system, recent, layout)]);
  const features: BwrapFeatures = { disableUserns: `${help.stdout}${help.stderr}`.includes('--disable-userns'), dropCaps };
  const shell = features.disableUserns ? recent : bwrapShell(bwrap, layout, features);

  let probe = features.disableUserns ? recentProbe : await probeShell(system, shell, layout);
  if (probe.ok) return { ok: true, bwrap, features, layout, shell, steps, undo };
  note(`bubblewrap (${bwrap}) failed its probe (${probe.detail}).`);

  // Namespaces restricted by a host switch: lift it when sudo needs no password (GitHub-hosted runners).
  const switches = [
    { name: APPARMOR_USERNS_SYSCTL, blocked: '1', allowed: '0' },
    { name: USERNS_CLONE_SYSCTL, blocked: '0', allowed: '1' },
  ].filter((s) => system.readFile(sysctlFile(s.name))?.trim() === s.blocked);
  let sudoOk: boolean | undefined;
  if (switches.length > 0 && system.uid() !== 0) {
    sudoOk = (await system.exec('sudo', ['-n', 'true'], 10_000)).code === 0;
    if (sudoOk) {
      for (const s of switches) {
        note(`${s.name}=${s.blocked} blocks the user namespaces bubblewrap needs; running \`sudo -n sysctl -w ${s.name}=${s.allowed}\` for this job (as other agent actions do on ubuntu-24.04 runners).`);
        const r = await system.exec('sudo', ['-n', 'sysctl', '-w', `${s.name}=${s.allowed}`], 15_000);
        if (r.code !== 0) {
          note(`sysctl failed: ${(r.stderr || r.stdout).trim().slice(0, 200)}`);
          continue;
        }
        undo.push(async () => {
          await system.exec('sudo', ['-n', 'sysctl', '-w', `${s.name}=${s.blocked}`], 15_000);
        });
      }
      probe = await probeShell(system, shell, layout);
      if (probe.ok) {
        note('bubblewrap works after the change.');
        return { ok: true, bwrap, features, layout, shell, steps, undo };
      }
      note(`bubblewrap still fails (${probe.detail}).`);
    } else {
      note('sudo needs a password here, so the restriction cannot be lifted by taskcap.');
    }
  }
  const restricted = switches.map((s) => `${s.name}=${s.blocked}`).join(', ');
  const fix = restricted
    ? `User namespaces are restricted on this machine (${restricted})${sudoOk === false ? ' and sudo needs a password' : ''}: allow them in an earlier step, e.g. \`sudo sysctl -w ${switches[0].name}=${switches[0].allowed}\` (or load an AppArmor profile that grants bwrap \`userns\`).`
    : 'Allow unprivileged user namespaces for bwrap on this machine (in a container: run it with a seccomp/AppArmor profile that permits them).';
  return { ok: false, reason: `bubblewrap cannot create its sandbox here (${probe.detail})`, fix, steps, undo };
}

/**
 * The shell the agent's commands run in. `required` throws (a UserError that says what failed and how to fix
 * it) rather than run unsandboxed; `auto` falls back to the host shell with a warning and a receipt note.
 */
export async function createSandboxShell(opts: SandboxOptions, system: SandboxSystem = realSystem): Promise<SandboxShell> {
  const { log } = opts;
  if (opts.mode === 'off') {
    const host = createHostShell();
    log.warn(`Sandbox is off (input sandbox: off): the agent's commands run directly on the runner with a scrubbed environment only${reaperNote(host)}.`);
    return { shell: { ...host, home: opts.agentHome }, sandboxed: false, note: 'commands ran without a sandbox: the sandbox input is off', dispose: async () => {} };
  }
  if (!SANDBOX_MODES.includes(opts.mode)) throw new UserError(`Input 'sandbox' must be auto, required or off, got '${String(opts.mode)}'.`);
  const found = await detectSandbox(opts, system);
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    for (const u of found.undo.reverse()) await u().catch(() => {});
  };
  if (found.ok) {
    log.info(
      `Sandbox: bubblewrap (${found.bwrap}): own user, PID, network, IPC and UTS namespaces; read-only root; the workspace writable except .git; hidden: ${found.layout.hide.join(', ')}${found.features.disableUserns ? '; nested user namespaces disabled' : ''}.`,
    );
    return { shell: found.shell, sandboxed: true, dispose };
  }
  if (opts.mode === 'required') {
    await dispose();
    throw new UserError(
      `sandbox: required, but no sandbox can be made: ${found.reason}. ${found.fix} Or set \`sandbox: auto\` to run the agent's commands without a sandbox (with a warning).`,
    );
  }
  const host = createHostShell();
  log.warn(
    `No sandbox: ${found.reason}. The agent's commands run directly on the runner with a scrubbed environment only${reaperNote(host)}; they can read what the runner user can read. ${found.fix} Set \`sandbox: required\` to fail instead.`,
  );
  return { shell: { ...host, home: opts.agentHome }, sandboxed: false, note: `commands ran without a sandbox: ${found.reason}`, dispose };
}

/** What holds the processes of host commands, for the warning: a subreaper, or only best effort without perl. */
function reaperNote(host: Shell): string {
  return host.description.includes('no process reaper')
    ? ' (no process reaper could run here, perl missing: processes that outlive a command are hunted best effort only)'
    : '';
}
