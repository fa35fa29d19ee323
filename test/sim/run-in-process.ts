/**
 * The in-process tier: the action's own `run()` (src/action/main.ts) with the real ports, in the test's process,
 * against the same simulators and the same runner-made environment as the bundle tier. Only the runner's side of
 * @actions/core is replaced: this IO writes the same workflow commands and file commands the real one does, so
 * a test reads the result of either tier the same way.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { cancellation } from '../../src/action/cancellation.js';
import type { ActionIO } from '../../src/action/io.js';
import { inert } from '../../src/action/io.js';
import { run } from '../../src/action/main.js';
import { collectStep, prepareStep, type RunActionOptions, type RunActionResult } from './run-action.mjs';

/** Workflow-command data escaping, as the runner reads it. */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** An ActionIO that speaks the runner's protocol into a buffer and the step's file-command files. */
export function runnerIO(env: Record<string, string | undefined>): ActionIO & { stdout: string[]; failed: boolean } {
  const stdout: string[] = [];
  const command = (name: string, message: string) => stdout.push(`::${name}::${escapeData(message)}`);
  const io = {
    stdout,
    failed: false,
    getInput: (name: string) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
    setSecret: (secret: string) => command('add-mask', secret),
    setOutput: (name: string, value: string) => {
      const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
      fs.appendFileSync(env.GITHUB_OUTPUT!, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
    },
    setFailed: (message: string) => {
      io.failed = true;
      command('error', inert(message));
    },
    appendSummary: async (markdown: string) => {
      if (env.GITHUB_STEP_SUMMARY) fs.appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
    },
    uploadArtifact: async () => {
      throw new Error('artifact uploads need the runner (ACTIONS_RUNTIME_TOKEN); not available in-process');
    },
    log: {
      info: (m: string) => stdout.push(inert(m)),
      warn: (m: string) => command('warning', inert(m)),
      debug: (m: string) => command('debug', inert(m)),
      group: async <T>(title: string, work: () => Promise<T>): Promise<T> => {
        stdout.push(`::group::${inert(title)}`);
        try {
          return await work();
        } finally {
          stdout.push('::endgroup::');
        }
      },
    },
  };
  return io;
}

/** Run one step in this process; the same options and the same result as `runAction` (the bundle). */
export async function runInProcess(options: RunActionOptions): Promise<RunActionResult> {
  const step = await prepareStep(options);
  const io = runnerIO(step.env);
  const cancel = cancellation(io.log);
  const signalTimer = options.signalAfterMs !== undefined ? setTimeout(() => cancel.cancel(options.signal ?? 'SIGTERM'), options.signalAfterMs) : undefined;
  const started = Date.now();
  try {
    await run(step.env, io, cancel.signal);
  } finally {
    if (signalTimer) clearTimeout(signalTimer);
  }
  return collectStep(step, {
    exitCode: io.failed ? 1 : 0,
    signal: null,
    stdout: `${io.stdout.join('\n')}\n`,
    stderr: '',
    durationMs: Date.now() - started,
    timedOut: false,
  });
}
