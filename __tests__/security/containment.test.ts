// Processes that outlive their command (issue 11, 2 and 6): without a sandbox every command runs under a child
// subreaper that takes down all it started (setsid, double forks, cleared environments, ignored signals, new
// process groups); in bubblewrap the PID namespace dies with the command. A command that kills its reaper is
// noticed and reported. A hard per-command process limit keeps a fork bomb from taking the runner down.
//
// Process floods here are linear and bounded (a loop of N forks) and run as an unprivileged user under an
// outer limit as well: never an exponential fork bomb on a shared machine.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BashTool } from '../../src/tools/bash.js';
import { findReaper, underReaper } from '../../src/tools/process-reaper.js';
import { bwrapArgs, sandboxLayout } from '../../src/tools/sandbox.js';
import { bashWrapper, containmentBreach, createHostShell, MAX_PROCESSES, type Shell } from '../../src/tools/shell.js';
import { agentEnvironment } from '../../src/tools/workbench.js';
import { BWRAP, describeSandbox, makeRunnerLayout, processesMatching, sandboxFor, type RunnerLayout } from './harness.js';

let layout: RunnerLayout;
beforeAll(() => {
  layout = makeRunnerLayout();
});
afterAll(() => layout?.cleanup());

let marks = 0;
/** A unique name a surviving process carries in its argv (exec -a), so the test can find it. */
const mark = () => `taskcap-survivor-${process.pid}-${++marks}`;
const survivor = (m: string) => `exec -a ${m} sleep 600`;

/** Every way a command can try to leave something running behind. */
const ESCAPES: [string, (m: string) => string][] = [
  ['a plain background job', (m) => `bash -c '${survivor(m)}' &`],
  ['nohup and disown', (m) => `nohup bash -c '${survivor(m)}' >/dev/null 2>&1 & disown`],
  ['setsid (a new session and process group)', (m) => `setsid bash -c '${survivor(m)}' &`],
  ['setsid with the environment cleared', (m) => `setsid env -i bash -c '${survivor(m)}' &`],
  ['a double fork (orphaned at once)', (m) => `(bash -c '${survivor(m)}' &) ; true`],
  ['setsid, double fork and a cleared environment together', (m) => `(setsid env -i bash -c '${survivor(m)}' &) ; true`],
  ['a daemon that ignores TERM, HUP and INT', (m) => `(trap '' TERM HUP INT; setsid env -i bash -c "trap '' TERM HUP INT; ${survivor(m)}" &) ; true`],
  ['a process that moves to a process group of its own', (m) => `perl -e 'setpgrp(0, 0); exec { "sleep" } "${m}", "600"' &`],
  ['a daemon that starts a second after the command ends', (m) => `(setsid env -i bash -c 'sleep 1; ${survivor(m)}' &) ; true`],
  ['a daemon that closes its descriptors and leaves the workspace', (m) => `setsid env -i bash -c 'cd /; exec <&- >&- 2>&-; ${survivor(m)}' &`],
  ['thirty escapees at once', (m) => `for i in $(seq 1 30); do (setsid env -i bash -c '${survivor(m)}' &); done`],
];

const runIn = (shell: Shell, command: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
  shell.run({ command, cwd: layout.workspace, root: layout.workspace, env: agentEnvironment(layout.workspace, layout.agentHome), timeoutMs: opts.timeoutMs ?? 20_000, maxOutputBytes: 20_000, signal: opts.signal });

/** Wait a little for a straggler that would start late, then list what is left. */
async function leftAfter(m: string, ms = 1500): Promise<number[]> {
  await new Promise((r) => setTimeout(r, ms));
  return processesMatching(m);
}

/** Test-owned survivors are killed by pid whatever happens, so a failing case leaves nothing behind. */
function cleanUp(m: string): void {
  for (const pid of processesMatching(m)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

const REAPER = findReaper();
const describeReaper = (name: string, fn: () => void) => (REAPER ? describe(name, fn) : describe.skip(`${name} [SKIPPED: no perl or no subreaper here]`, fn));

describeReaper('without a sandbox: the child subreaper', () => {
  const host = () => createHostShell();

  it('is what runs host commands here', () => {
    expect(host().description).toBe('host (no sandbox)');
    expect(createHostShell({ reaper: false }).description).toBe('host (no sandbox, no process reaper)');
  });

  it.concurrent.each(ESCAPES)('%s: nothing survives a command that exits', async (_name, escape) => {
    const m = mark();
    try {
      const r = await runIn(host(), `${escape(m)}\necho started`);
      expect(r.output.trim()).toBe('started');
      expect(r.contained).toBe(true);
      expect(await leftAfter(m)).toEqual([]);
    } finally {
      cleanUp(m);
    }
  });

  it.concurrent.each(ESCAPES.slice(2, 7))('%s: nothing survives a command killed at its timeout', async (_name, escape) => {
    const m = mark();
    try {
      const started = Date.now();
      const r = await runIn(host(), `${escape(m)}\nsleep 600`, { timeoutMs: 1500 });
      expect(r.timedOut).toBe(true);
      expect(Date.now() - started).toBeLessThan(8000);
      expect(await leftAfter(m, 300)).toEqual([]);
    } finally {
      cleanUp(m);
    }
  });

  it('nothing survives a run that is cancelled mid-command', async () => {
    const m = mark();
    try {
      const cancel = new AbortController();
      setTimeout(() => cancel.abort(), 800);
      const r = await runIn(host(), `${ESCAPES[5][1](m)}\nsleep 600`, { signal: cancel.signal });
      expect(r.aborted).toBe(true);
      expect(await leftAfter(m, 300)).toEqual([]);
    } finally {
      cleanUp(m);
    }
  });

  it('a signal sent to the reaper itself (USR1, TERM, HUP) takes the command down first', async () => {
    for (const sig of ['USR1', 'TERM', 'HUP', 'RTMIN+3']) {
      const m = mark();
      try {
        const r = await runIn(host(), `${ESCAPES[5][1](m)}\nsleep 0.3; kill -${sig} $PPID; sleep 5`);
        expect([sig, r.contained]).toEqual([sig, true]);
        expect(await leftAfter(m, 300)).toEqual([]);
      } finally {
        cleanUp(m);
      }
    }
  });

  it('a command that kills its reaper (SIGKILL) is noticed: the result says so, the run is marked, the tool tells the model', async () => {
    const m = mark();
    try {
      const shell = host();
      const tool = new BashTool(shell, layout.workspace, agentEnvironment(layout.workspace, layout.agentHome), 20_000);
      const r = await tool.run({ command: `${ESCAPES[5][1](m)}\nsleep 0.3; kill -9 $PPID` }, 10_000, 60_000);
      expect(r.text).toMatch(/killed the process that holds what it starts/);
      expect(shell.breaches?.()).toBe(1);
      expect(containmentBreach(shell)).toMatch(/^A command killed the process that holds what the agent's commands start \(sandbox: off\)/);
      expect(containmentBreach(host())).toBeUndefined();
    } finally {
      cleanUp(m);
    }
  });

  it('when taskcap itself dies mid-command, the reaper still takes everything down (parent-death signal)', async () => {
    const m = mark();
    const reaper = REAPER!;
    const argv = underReaper(reaper, '/bin/bash', ['-c', `${ESCAPES[5][1](m)}; sleep 600`]);
    // A stand-in for the action's node process: it starts the reaper, then is killed without a chance to clean up.
    const parent = spawn(process.execPath, ['-e', `require('child_process').spawn(${JSON.stringify(argv.file)}, ${JSON.stringify(argv.args)}, { stdio: 'ignore' }); setTimeout(() => {}, 60000);`], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect(processesMatching(m).length).toBeGreaterThan(0);
      parent.kill('SIGKILL');
      expect(await leftAfter(m, 1500)).toEqual([]);
    } finally {
      parent.kill('SIGKILL');
      cleanUp(m);
    }
  });

  it('sets a hard process limit for every command', async () => {
    const r = await runIn(host(), 'ulimit -Hu; ulimit -Su');
    expect(r.output.trim().split('\n')).toEqual([String(MAX_PROCESSES), String(MAX_PROCESSES)]);
  });
});

describeSandbox('in bubblewrap: the PID namespace dies with the command', () => {
  let shell: Shell;
  beforeAll(async () => {
    shell = (await sandboxFor(layout)).shell;
  });

  it.concurrent.each(ESCAPES)('%s: nothing survives a command that exits', async (_name, escape) => {
    const m = mark();
    try {
      const r = await runIn(shell, `${escape(m)}\necho started`);
      expect(r.output.trim()).toBe('started');
      expect(await leftAfter(m)).toEqual([]);
    } finally {
      cleanUp(m);
    }
  });

  it('nothing survives a command killed at its timeout, or one that kills the namespace\'s first process', async () => {
    const m = mark();
    try {
      const timed = await runIn(shell, `${ESCAPES[5][1](m)}\nsleep 600`, { timeoutMs: 1500 });
      expect(timed.timedOut).toBe(true);
      expect(await leftAfter(m, 300)).toEqual([]);
      const killed = await runIn(shell, `${ESCAPES[5][1](m)}\nkill -9 1 2>&1; kill -9 -1 2>&1; sleep 1; echo still here`);
      expect(killed.timedOut).toBe(false);
      expect(await leftAfter(m, 300)).toEqual([]);
    } finally {
      cleanUp(m);
    }
  });

  it('sets a hard process limit that a command cannot raise, even as root in the sandbox', async () => {
    const r = await runIn(shell, 'ulimit -Hu; ulimit -Su; ulimit -u unlimited 2>&1 || echo refused; ulimit -Hu');
    const lines = r.output.trim().split('\n');
    expect(lines[0]).toBe(String(MAX_PROCESSES));
    expect(lines[1]).toBe(String(MAX_PROCESSES));
    expect(lines).toContain('refused');
    expect(lines[lines.length - 1]).toBe(String(MAX_PROCESSES));
  });
});

// The limit enforced by the kernel, as on a GitHub-hosted runner (an unprivileged user: root is exempt from it).
// The real wrapper with a small limit, and the real sandbox argv; the flood is a bounded loop of forks.
const NOBODY = 65534;
const canDropToNobody = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0 && spawnSync('prlimit', ['--version']).status === 0;
const itAsNobody = (name: string, fn: () => Promise<void> | void, needsBwrap = false) =>
  canDropToNobody && (!needsBwrap || BWRAP) ? it(name, fn, 60_000) : it.skip(`${name} [SKIPPED: needs root to drop to an unprivileged user${needsBwrap ? ', and bubblewrap' : ''}]`, fn);

describe('the process limit holds for an unprivileged runner user', () => {
  const LIMIT = 120;
  // Each child execs sleep at once (a few hundred kilobytes each); the loop stops at the first failed fork.
  const FLOOD = `perl -e 'my $n = 0; for (1..400) { my $p = fork; last unless defined $p; if (!$p) { exec "sleep", "5"; exit 1 } $n++ } print "started $n\\n"'`;
  let base: string;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-nproc-'));
    for (const d of ['ws', 'home', 'home/tmp']) fs.mkdirSync(path.join(base, d), { recursive: true });
    execFileSync('chmod', ['-R', '0777', base]);
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
  // An outer cap as a safety net: even a broken inner limit could never start more than this many processes.
  const asNobody = (argv: string[]) =>
    spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'prlimit', '--nproc=600', '--', ...argv], { cwd: path.join(base, 'ws'), encoding: 'utf8', timeout: 40_000 });
  const started = (out: string) => Number(/started (\d+)/.exec(out)?.[1] ?? NaN);

  itAsNobody('in bubblewrap: a flood of forks stops at the limit (counted inside the sandbox only)', () => {
    const layoutForNobody = sandboxLayout({ workspace: path.join(base, 'ws'), agentHome: path.join(base, 'home'), hide: [] });
    const args = bwrapArgs(layoutForNobody, { disableUserns: true, dropCaps: false });
    const r = asNobody([BWRAP!, ...args, '--chdir', layoutForNobody.workspace, '--', '/bin/bash', '--noprofile', '--norc', '-c', bashWrapper(LIMIT), 'taskcap-bash', layoutForNobody.workspace, layoutForNobody.workspace, FLOOD]);
    expect(r.status).toBe(0);
    expect(started(r.stdout)).toBeGreaterThan(LIMIT - 20);
    expect(started(r.stdout)).toBeLessThan(LIMIT);
  }, true);

  itAsNobody('without a sandbox, under the reaper: a flood of forks stops at the limit and leaves nothing running', async () => {
    const reaper = findReaper();
    if (!reaper) return;
    const argv = underReaper(reaper, '/bin/bash', ['--noprofile', '--norc', '-c', bashWrapper(LIMIT), 'taskcap-bash', path.join(base, 'ws'), path.join(base, 'ws'), FLOOD]);
    const r = asNobody([argv.file, ...argv.args]);
    expect(started(r.stdout)).toBeGreaterThan(LIMIT - 40);
    expect(started(r.stdout)).toBeLessThan(LIMIT);
    await new Promise((res) => setTimeout(res, 300));
    expect(spawnSync('pgrep', ['-u', String(NOBODY), '-x', 'sleep']).stdout.toString().trim()).toBe('');
  });
});
