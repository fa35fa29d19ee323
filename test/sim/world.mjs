// @ts-check
// One simulated world for end-to-end runs: a bare origin served over smart HTTP (demanding checkout's header),
// the GitHub REST fake backed by that origin, the scripted Messages API, and a checkout made the way
// actions/checkout v6 leaves it. `run()` executes the bundle exactly as the runner would, in a fresh checkout.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeAnthropic } from './anthropic.mjs';
import { makeCheckout } from './checkout.mjs';
import { gitIn, gitTry, makeBareRepo, startGitOrigin } from './git-origin.mjs';
import { startFakeGitHub } from './github.mjs';
import { startProviderFake } from './providers.mjs';
import { runAction } from './run-action.mjs';

export const TOKEN = 'ghs_simulatedWorkflowToken000000000001';

/**
 * How a step is run: through the bundle (`runAction`, a child process, as the runner does) or in the test's own
 * process (test/sim/run-in-process.ts, registered by the jest setup unless TASKCAP_TIER=bundle). Same options,
 * same result.
 * @typedef {(options: import('./run-action.mjs').RunActionOptions) => Promise<import('./run-action.mjs').RunActionResult>} StepRunner
 */
/** @type {StepRunner} */
let defaultRunner = runAction;

/** Make `runner` the default for worlds created from now on (the test tier). @param {StepRunner} runner */
export function setDefaultRunner(runner) {
  defaultRunner = runner;
}

export const API_KEY = 'sk-ant-api03-simulatedKey-0000000000000000000000';

/**
 * @typedef {object} WorldOptions
 * @property {string} [fixtureDir]  files of the repository's initial commit
 * @property {Record<string, string>} [files]
 * @property {string} [owner]
 * @property {string} [repo]
 * @property {Parameters<typeof makeBareRepo>[0]['extraRefs']} [extraRefs]
 * @property {Omit<Parameters<typeof startFakeGitHub>[0], 'owner'|'repo'|'originDir'|'serverUrl'>} [github]
 * @property {Parameters<typeof startFakeAnthropic>[0] | false} [anthropic]  false: no simulated API (real API)
 * @property {Parameters<typeof startProviderFake>[0]} [provider]  reach Claude through this platform's fake instead
 *   (the `anthropic` options script it); `world.anthropic` is then that fake, with its sign-in records
 * @property {Parameters<typeof startProviderFake>[1]} [providerOptions]  refusals and sign-in variants
 * @property {StepRunner} [runner]  how steps run (default: the test tier's runner; the bundle outside jest)
 */

/** @param {WorldOptions} options */
export async function createWorld(options = {}) {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'slugkit';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-world-'));
  const originRoot = path.join(root, 'origin');
  const bare = await makeBareRepo({ root: originRoot, owner, repo, fromDir: options.fixtureDir, files: options.files, extraRefs: options.extraRefs });
  const origin = await startGitOrigin({ token: TOKEN, root: originRoot });
  const github = await startFakeGitHub({
    permissions: { [owner]: 'admin' },
    ...options.github,
    owner,
    repo,
    originDir: bare.gitDir,
    serverUrl: origin.url,
  });
  const provider = options.provider ? await startProviderFake(options.provider, { ...(options.anthropic || {}), ...options.providerOptions }) : undefined;
  const anthropic = provider ?? (options.anthropic === false ? undefined : await startFakeAnthropic(options.anthropic ?? {}));
  let runs = 0;
  const runner = options.runner ?? defaultRunner;

  return {
    root,
    owner,
    repo,
    originDir: bare.gitDir,
    origin,
    github,
    anthropic,
    provider,
    /**
     * Run the bundle on a fresh checkout (like a new job). Inputs default to a real API key secret and the token.
     * `tier: 'bundle'` runs this step through the bundle whatever the default (the smoke set of each trigger).
     * @param {{ eventName: string, payload: unknown, inputs?: Record<string, string | undefined>, env?: Record<string, string | undefined>,
     *   ref?: string, credentials?: 'v6' | 'v5' | 'none', runId?: string, runAttempt?: string, signalAfterMs?: number, signal?: NodeJS.Signals, timeoutMs?: number,
     *   checkoutRef?: string, tier?: 'bundle' }} o
     */
    async run(o) {
      runs += 1;
      const workspace = path.join(root, `run-${runs}`, 'work', repo);
      const runnerTemp = path.join(root, `run-${runs}`, 'temp');
      const checkout = await makeCheckout({
        serverUrl: origin.url,
        owner,
        repo,
        token: TOKEN,
        workspace,
        runnerTemp,
        ref: o.checkoutRef ?? 'refs/heads/main',
        credentials: o.credentials ?? 'v6',
      });
      // A provider world signs in the way the platform's setup action leaves things (credential files, env).
      const reach = provider?.prepareRun({ workspace: checkout.workspace, runnerTemp, dir: path.join(root, `run-${runs}`) });
      const result = await (o.tier === 'bundle' ? runAction : runner)({
        workspace: checkout.workspace,
        runnerTemp,
        eventName: o.eventName,
        payload: o.payload,
        inputs: { 'anthropic-api-key': API_KEY, ...reach?.inputs, ...o.inputs },
        env: { ...reach?.env, ...o.env },
        githubApiUrl: github.url,
        serverUrl: origin.url,
        repository: `${owner}/${repo}`,
        anthropicBaseUrl: provider ? undefined : anthropic?.url,
        githubToken: TOKEN,
        ref: o.ref,
        runId: o.runId,
        runAttempt: o.runAttempt,
        signalAfterMs: o.signalAfterMs,
        signal: o.signal,
        timeoutMs: o.timeoutMs,
      });
      return { ...result, workspace: checkout.workspace, runnerTemp };
    },
    /** git in the bare origin (what was pushed). @param {string[]} args */
    originGit: (args) => gitIn(bare.gitDir, args),
    /** @param {string} branch */
    async branchSha(branch) {
      const r = await gitTry(bare.gitDir, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`]);
      return r.code === 0 ? r.stdout.trim() : undefined;
    },
    async close() {
      await Promise.allSettled([origin.close(), github.close(), anthropic?.close()]);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
