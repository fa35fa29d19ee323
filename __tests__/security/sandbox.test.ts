// The sandbox itself: how it is chosen (auto / required / off, the AppArmor fix on ubuntu-24.04 runners, missing
// bubblewrap), the arguments it gives bubblewrap, and, with the real bubblewrap, what a command inside can and
// cannot reach. Cases are counted by the `it` blocks; a table counts one case per row.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  APPARMOR_USERNS_SYSCTL,
  bwrapArgs,
  createSandboxShell,
  detectSandbox,
  type ExecResult,
  type SandboxSystem,
} from '../../src/tools/sandbox.js';
import { BashTool } from '../../src/tools/bash.js';
import type { Shell, ShellRequest, ShellResult } from '../../src/tools/shell.js';
import { UserError } from '../../src/util/errors.js';
import { CANARY, bashTool, describeSandbox, git, makeRunnerLayout, processesMatching, sandboxFor, type RunnerLayout } from './harness.js';

// ---------------------------------------------------------------------------------------------------------
// Choosing a sandbox (a scripted machine: no bubblewrap, AppArmor-restricted namespaces, sudo or not)
// ---------------------------------------------------------------------------------------------------------

interface FakeMachine {
  bwrap?: string;
  uid?: number;
  /** sysctl values under /proc/sys. */
  sysctl?: Record<string, string>;
  sudo?: boolean;
  /** Probe results in order; the last one repeats. */
  probes: Partial<ShellResult>[];
  /** What `bwrap --help` prints (a bubblewrap 0.8+ by default). */
  help?: string;
}

function fakeSystem(m: FakeMachine) {
  const calls: string[] = [];
  let probe = 0;
  const probed = () => probe;
  const system: SandboxSystem = {
    uid: () => m.uid ?? 1001,
    findBwrap: () => m.bwrap,
    async exec(file: string, args: string[]): Promise<ExecResult> {
      calls.push([file, ...args].join(' '));
      if (args[0] === '--help') return { code: 0, stdout: m.help ?? 'usage: bwrap [OPTIONS...] [--] COMMAND\n    --disable-userns  Disable further use of user namespaces', stderr: '' };
      if (file === 'sudo') {
        if (!m.sudo) return { code: 1, stdout: '', stderr: 'sudo: a password is required' };
        const set = /^(\S+)=(\S+)$/.exec(args[3] ?? '');
        if (args[1] === 'sysctl' && set) m.sysctl = { ...m.sysctl, [set[1]]: set[2] };
        return { code: 0, stdout: '', stderr: '' };
      }
      return { code: 127, stdout: '', stderr: 'not found' };
    },
    readFile(file: string) {
      const name = file.replace(/^\/proc\/sys\//, '').replace(/\//g, '.');
      return m.sysctl?.[name];
    },
    async probe(_shell: Shell, req: ShellRequest): Promise<ShellResult> {
      const r = m.probes[Math.min(probe++, m.probes.length - 1)];
      return { output: '', totalBytes: 0, exitCode: 1, timedOut: false, aborted: false, durationMs: 1, cwd: undefined, ...r, ...(r.exitCode === 0 ? { cwd: req.root } : {}) };
    },
  };
  return { system, calls, machine: m, probed };
}

const OK_PROBE: Partial<ShellResult> = { exitCode: 0, output: 'taskcap-sandbox-ok\n' };
const APPARMOR_FAILURE: Partial<ShellResult> = { exitCode: 1, output: 'bwrap: setting up uid map: Permission denied\n' };

function recordingLog() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(`info: ${m}`), warn: (m: string) => lines.push(`warn: ${m}`) } };
}

describe('choosing the sandbox', () => {
  let layout: RunnerLayout;
  beforeAll(() => {
    layout = makeRunnerLayout();
  });
  afterAll(() => layout.cleanup());
  const opts = (mode: 'auto' | 'required' | 'off', log = recordingLog().log) => ({ mode, workspace: layout.workspace, agentHome: layout.agentHome, hide: [layout.runnerTemp], log });

  it('off: the host shell, no probe, a warning and a receipt note', async () => {
    const { system, calls } = fakeSystem({ bwrap: '/usr/bin/bwrap', probes: [OK_PROBE] });
    const { lines, log } = recordingLog();
    const s = await createSandboxShell(opts('off', log), system);
    expect([s.sandboxed, s.shell.description, calls]).toEqual([false, 'host (no sandbox)', []]);
    expect(s.note).toBe('commands ran without a sandbox: the sandbox input is off');
    expect(lines.join('\n')).toMatch(/^warn: Sandbox is off/);
  });

  it('required without bubblewrap: a clear error that says how to fix it, never a silent host shell', async () => {
    const { system } = fakeSystem({ probes: [OK_PROBE] });
    const error = await createSandboxShell(opts('required'), system).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/^sandbox: required, but no sandbox can be made: bubblewrap \(bwrap\) is not installed/);
    expect((error as Error).message).toContain('sudo apt-get install -y bubblewrap');
    expect((error as Error).message).toContain('sandbox: auto');
  });

  it('auto without bubblewrap: the host shell, a loud warning and a receipt note', async () => {
    const { system } = fakeSystem({ probes: [OK_PROBE] });
    const { lines, log } = recordingLog();
    const s = await createSandboxShell(opts('auto', log), system);
    expect(s.sandboxed).toBe(false);
    expect(s.note).toBe('commands ran without a sandbox: bubblewrap (bwrap) is not installed on this runner');
    expect(lines).toEqual([expect.stringMatching(/^warn: No sandbox: bubblewrap \(bwrap\) is not installed.*scrubbed environment only.*sandbox: required/)]);
  });

  it('a recent bubblewrap is probed once, beside --help; an older one (no --disable-userns) is probed again without it', async () => {
    const recent = fakeSystem({ bwrap: '/usr/bin/bwrap', probes: [OK_PROBE] });
    const found = await detectSandbox(opts('auto'), recent.system);
    expect([found.ok, found.ok && found.features.disableUserns, recent.probed()]).toEqual([true, true, 1]);

    const unknownOption: Partial<ShellResult> = { exitCode: 1, output: 'bwrap: Unknown option --disable-userns\n' };
    const older = fakeSystem({ bwrap: '/usr/bin/bwrap', help: 'usage: bwrap [OPTIONS...] [--] COMMAND\n    --unshare-user  Create new user namespace', probes: [unknownOption, OK_PROBE] });
    const { lines, log } = recordingLog();
    const old = await detectSandbox(opts('auto', log), older.system);
    expect([old.ok, old.ok && old.features.disableUserns, older.probed()]).toEqual([true, false, 2]);
    expect(lines).toEqual([]);
  });

  it('ubuntu-24.04 runner: AppArmor blocks the namespaces, sudo works → the sysctl is lifted, logged, probed again, undone on dispose', async () => {
    const { system, calls, machine } = fakeSystem({ bwrap: '/usr/bin/bwrap', sysctl: { [APPARMOR_USERNS_SYSCTL]: '1' }, sudo: true, probes: [APPARMOR_FAILURE, OK_PROBE] });
    const { lines, log } = recordingLog();
    const s = await createSandboxShell(opts('required', log), system);
    expect([s.sandboxed, s.shell.description, s.note]).toEqual([true, 'bubblewrap', undefined]);
    expect(calls).toContain(`sudo -n sysctl -w ${APPARMOR_USERNS_SYSCTL}=0`);
    const text = lines.join('\n');
    expect(text).toContain('failed its probe (exit 1: bwrap: setting up uid map: Permission denied)');
    expect(text).toContain(`running \`sudo -n sysctl -w ${APPARMOR_USERNS_SYSCTL}=0\``);
    expect(text).toContain('bubblewrap works after the change.');
    await s.dispose();
    expect(machine.sysctl?.[APPARMOR_USERNS_SYSCTL]).toBe('1');
    expect(calls.filter((c) => c.includes('sysctl -w'))).toEqual([`sudo -n sysctl -w ${APPARMOR_USERNS_SYSCTL}=0`, `sudo -n sysctl -w ${APPARMOR_USERNS_SYSCTL}=1`]);
  });

  it('AppArmor restriction and no passwordless sudo: required fails closed, naming the switch and the fix', async () => {
    const { system, calls } = fakeSystem({ bwrap: '/usr/bin/bwrap', sysctl: { [APPARMOR_USERNS_SYSCTL]: '1' }, sudo: false, probes: [APPARMOR_FAILURE] });
    const error = (await createSandboxShell(opts('required'), system).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain('bubblewrap cannot create its sandbox here (exit 1: bwrap: setting up uid map: Permission denied)');
    expect(error.message).toContain(`${APPARMOR_USERNS_SYSCTL}=1) and sudo needs a password`);
    expect(error.message).toContain(`sudo sysctl -w ${APPARMOR_USERNS_SYSCTL}=0`);
    expect(calls.some((c) => c.includes('sysctl'))).toBe(false);
  });

  it('a probe that fails for another reason: auto notes it for the receipt, required throws', async () => {
    const failing = { bwrap: '/usr/bin/bwrap', uid: 0, probes: [{ exitCode: 1, output: 'bwrap: Creating new namespace failed: Operation not permitted\n' }] };
    const auto = await createSandboxShell(opts('auto'), fakeSystem(failing).system);
    expect(auto.sandboxed).toBe(false);
    expect(auto.note).toBe('commands ran without a sandbox: bubblewrap cannot create its sandbox here (exit 1: bwrap: Creating new namespace failed: Operation not permitted)');
    await expect(createSandboxShell(opts('required'), fakeSystem(failing).system)).rejects.toThrow(/Allow unprivileged user namespaces for bwrap/);
  });

  it('rejects an unknown mode', async () => {
    await expect(createSandboxShell(opts('strict' as 'auto'), fakeSystem({ probes: [OK_PROBE] }).system)).rejects.toThrow(/must be auto, required or off/);
  });

  it('gives bubblewrap every namespace, a read-only root, fresh /proc and /dev, masks first, the workspace and then its .git on top', () => {
    const args = bwrapArgs(
      { workspace: layout.workspace, agentHome: layout.agentHome, hide: [layout.runnerHome, layout.runnerTemp, '/run'] },
      { disableUserns: true, dropCaps: true },
    );
    const joined = args.join(' ');
    for (const flag of ['--unshare-all', '--unshare-user --disable-userns', '--cap-drop ALL', '--die-with-parent', '--new-session', '--ro-bind / /', '--proc /proc', '--dev /dev']) {
      expect(joined).toContain(flag);
    }
    expect(args).not.toContain('--share-net');
    const at = (needle: string) => joined.indexOf(needle);
    expect(at(`--tmpfs ${layout.runnerHome} `)).toBeGreaterThan(at('--ro-bind / /'));
    expect(at(`--tmpfs ${layout.runnerTemp} `)).toBeGreaterThan(at(`--tmpfs ${layout.runnerHome} `));
    expect(at(`--bind ${layout.workspace} ${layout.workspace}`)).toBeGreaterThan(at(`--tmpfs ${layout.runnerTemp} `));
    expect(at(`--ro-bind ${layout.workspace}/.git ${layout.workspace}/.git`)).toBeGreaterThan(at(`--bind ${layout.workspace} ${layout.workspace}`));
    expect(joined).toContain(`--bind ${layout.agentHome}/tmp /tmp`);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Inside the real sandbox
// ---------------------------------------------------------------------------------------------------------

describeSandbox('inside the bubblewrap sandbox', () => {
  let layout: RunnerLayout;
  let shell: Shell;
  const saved = { ...process.env };
  beforeAll(async () => {
    layout = makeRunnerLayout();
    // The "action" process holds the secrets, as on a runner.
    Object.assign(process.env, {
      'INPUT_ANTHROPIC-API-KEY': CANARY.apiKey,
      GITHUB_TOKEN: CANARY.token,
      ACTIONS_RUNTIME_TOKEN: CANARY.token,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: CANARY.token,
      WORKFLOW_SECRET: CANARY.workflowSecret,
    });
    const s = await sandboxFor(layout);
    expect(s.sandboxed).toBe(true);
    shell = s.shell;
  });
  afterAll(() => {
    for (const k of ['INPUT_ANTHROPIC-API-KEY', 'GITHUB_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'WORKFLOW_SECRET']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    layout.cleanup();
  });
  const run = async (command: string, timeoutMs = 10_000) => (await bashTool(layout, shell, timeoutMs).run({ command }, 20_000, 60_000)).text;

  it('has its own PID namespace: the action process and its environment are not there', async () => {
    const out = await run(`echo "pid=$$ ppid=$PPID"; ls /proc | grep -c '^[0-9]'; test -e /proc/${process.pid}/environ && echo VISIBLE || echo hidden; tr '\\0' '\\n' < /proc/1/environ`);
    expect(out).toMatch(/^pid=\d+ ppid=1\n\d\n/);
    expect(out).toContain('\nhidden\n');
    expect(out).toContain('TASKCAP=1');
    expect(out).not.toContain('INPUT_');
  });

  it('has no network: a server on the runner\'s loopback is unreachable (and reachable from the host, as a control)', async () => {
    const server = http.createServer((_q, r) => r.end('REACHED')).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3 || echo "connect failed"`;
    try {
      expect(await run(probe)).toContain('connect failed');
      expect(await run('ip -o link 2>/dev/null | grep -v " lo:" | wc -l || cat /proc/net/dev | tail -n +3 | grep -vc "lo:"')).toBe('0');
      expect((await bashTool(layout).run({ command: probe }, 10_000, 60_000)).text).toContain('REACHED');
    } finally {
      server.close();
    }
  });

  it('sees a read-only machine: /etc, /usr and the agent\'s view of / cannot be written', async () => {
    const out = await run('for p in /etc/taskcap-x /usr/taskcap-x /taskcap-x /opt/taskcap-x; do touch $p 2>&1 | grep -o "Read-only file system" || echo "WROTE $p"; done');
    expect(out.split('\n')).toEqual(Array(4).fill('Read-only file system'));
    expect(fs.existsSync('/etc/taskcap-x')).toBe(false);
  });

  it('writes the workspace, but its .git is read-only while git status, diff and log still work', async () => {
    const out = await run('echo changed >> README.md && git status --short && git diff --stat | tail -1 && git log --oneline | wc -l && touch .git/x 2>&1; echo x > .git/hooks/pre-commit 2>&1');
    expect(out).toContain(' M README.md');
    expect(out).toContain('1 file changed');
    expect(out.match(/Read-only file system/g)).toHaveLength(2);
    expect(fs.existsSync(path.join(layout.workspace, '.git/hooks/pre-commit'))).toBe(false);
  });

  it('cannot see RUNNER_TEMP (credentials file, file-command files, event payload) nor the runner user\'s HOME', async () => {
    const out = await run(`ls -A ${layout.runnerTemp} ${layout.runnerHome} 2>&1; cat ${layout.runnerTemp}/git-credentials-*.config ${layout.runnerHome}/.gitconfig 2>&1; echo x > ${layout.runnerTemp}/_runner_file_commands/set_env_1 2>&1; echo done`);
    expect(out).not.toContain(CANARY.token);
    expect(out).not.toContain('extraheader');
    expect(out).not.toContain('event.json');
    expect(fs.readFileSync(path.join(layout.runnerTemp, '_runner_file_commands/set_env_1'), 'utf8')).toBe('');
  });

  it('masks /run (docker.sock and other sockets), /var/tmp and /dev/shm', async () => {
    expect(await run('ls -A /run /var/run /var/tmp /dev/shm | grep -v ":$" | grep -v "^$" | wc -l')).toBe('0');
  });

  it('keeps its own /tmp (the agent HOME\'s tmp) between commands, apart from the runner\'s /tmp', async () => {
    const hostFile = path.join('/tmp', `taskcap-host-only-${process.pid}`);
    fs.writeFileSync(hostFile, 'host');
    try {
      await run('echo scratch > /tmp/scratch.txt');
      expect(await run(`cat /tmp/scratch.txt; test -e ${hostFile} && echo HOST-TMP-VISIBLE || echo host-tmp-hidden`)).toBe('scratch\nhost-tmp-hidden');
    } finally {
      fs.rmSync(hostFile, { force: true });
    }
  });

  it('carries the working directory over (fd 3) and a command cannot forge that report', async () => {
    const tool = bashTool(layout, shell);
    await tool.run({ command: 'mkdir -p src/deep && cd src/deep' }, 10_000, 60_000);
    expect((await tool.run({ command: 'pwd' }, 10_000, 60_000)).text).toBe(path.join(layout.workspace, 'src/deep'));
    const forged = await tool.run({ command: 'echo /etc >&3; cd ..' }, 10_000, 60_000);
    expect(forged.text).toMatch(/Bad file descriptor/);
    expect((await tool.run({ command: 'pwd' }, 10_000, 60_000)).text).toBe(path.join(layout.workspace, 'src'));
  });

  it('runs with no new privileges and no capabilities: setuid (sudo) cannot raise them, .git cannot be unmounted', async () => {
    const out = await run('grep -E "^(NoNewPrivs|CapEff)" /proc/self/status; umount ' + path.join(layout.workspace, '.git') + ' 2>&1 | head -1; touch .git/y 2>&1');
    expect(out).toMatch(/NoNewPrivs:\s+1/);
    expect(out).toMatch(/CapEff:\s+0+\n/);
    expect(out).toMatch(/Read-only file system/);
  });

  it('cannot undo the read-only .git from a nested user namespace (refused outright where bwrap has --disable-userns)', async () => {
    const gitDir = path.join(layout.workspace, '.git');
    const out = await run(`unshare -Urm sh -c 'umount ${gitDir} 2>/dev/null; touch ${gitDir}/z' 2>&1; test -e ${gitDir}/z && echo WROTE || echo intact`);
    expect(out).toMatch(/intact$/);
    expect(fs.existsSync(path.join(gitDir, 'z'))).toBe(false);
  });

  it('gets exactly the environment it was given: none of the action\'s secrets', async () => {
    const out = await run('env; set; cat /proc/self/environ /proc/$PPID/environ /proc/1/environ | tr "\\0" "\\n"');
    for (const secret of Object.values(CANARY)) expect(out).not.toContain(secret);
    expect(out).not.toMatch(/INPUT_|ACTIONS_|GITHUB_TOKEN/);
  });

  it('kills a command at its timeout with its setsid daemon, and a daemon dies with a command that exits', async () => {
    const started = Date.now();
    const timedOut = await bashTool(layout, shell, 1500).run({ command: 'setsid nohup sleep 918273 >/dev/null 2>&1 & sleep 1e9' }, 10_000, 60_000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(timedOut.isError).toBe(true);
    await run('setsid nohup sleep 918274 >/dev/null 2>&1 & disown; echo started');
    await new Promise((r) => setTimeout(r, 300));
    expect(processesMatching('91827')).toEqual([]);
  });

  it('is killed with everything in it when the run is aborted', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 500);
    const r = await bashTool(layout, shell, 30_000).run({ command: 'sleep 918275 & setsid sleep 918276 & wait' }, 10_000, 60_000, abort.signal);
    expect(r.text).toContain('the run was stopped while this command was running');
    await new Promise((res) => setTimeout(res, 300));
    expect(processesMatching('91827')).toEqual([]);
  });

  it('gives a command whose HOME or TMPDIR the sandbox does not bind the agent HOME instead (mktemp, git config --global work)', async () => {
    const tool = new BashTool(shell, layout.workspace, { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent/home', TMPDIR: '/nonexistent/tmp' }, 10_000);
    const out = (await tool.run({ command: 'echo "$HOME"; mktemp >/dev/null && echo mktemp-ok; git config --global user.name agent && echo git-ok' }, 10_000, 60_000)).text;
    expect(out).toBe(`${fs.realpathSync(layout.agentHome)}\nmktemp-ok\ngit-ok`);
    expect(shell.home).toBe(fs.realpathSync(layout.agentHome));
  });

  it('leaves the repository intact for taskcap\'s own git afterwards', () => {
    expect(git(layout.workspace, 'config', '--get', 'remote.origin.url').trim()).toBe('https://github.com/acme/repo');
    expect(git(layout.workspace, 'status', '--short')).toContain('README.md');
  });
});
