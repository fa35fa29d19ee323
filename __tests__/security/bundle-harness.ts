// Bundle-level hostile runs: the real `dist/index.js`, run like the runner does, against the simulated GitHub,
// git origin and a scripted model that obeys the attacker. `leakChecks` gathers every channel a secret could
// leave by, so each test can assert the invariants in one place.
import { expect } from '@jest/globals';
import path from 'node:path';
import type { ContentReply } from '../../test/sim/anthropic.mjs';
import { API_KEY, createWorld, TOKEN } from '../../test/sim/world.mjs';
import { checkoutAuthHeader, makeCheckout } from '../../test/sim/checkout.mjs';
import { runAction } from '../../test/sim/run-action.mjs';
import { issuesLabeled } from '../../test/sim/payloads.mjs';
import { CANARY, encodingsOf } from './harness.js';

export type World = Awaited<ReturnType<typeof createWorld>>;
export type RunResult = Awaited<ReturnType<World['run']>>;
type Reply = ContentReply;

export const FIXTURE = path.resolve('test/hostile/repo');
/** The bundle under test: dist/index.js, or TASKCAP_BUNDLE (to try a build before it replaces dist). */
export const BUNDLE = process.env.TASKCAP_BUNDLE ? path.resolve(process.env.TASKCAP_BUNDLE) : undefined;

/** Secrets of a simulated run: the two inputs, the header checkout persists, and what the workflow put in env. */
export const RUN_SECRETS = {
  apiKey: API_KEY,
  token: TOKEN,
  header: checkoutAuthHeader(TOKEN).replace(/^AUTHORIZATION: basic /, ''),
  workflowSecret: CANARY.workflowSecret,
  runtimeToken: CANARY.token,
};

/** What the workflow's step env holds besides the inputs (never allowlisted). */
export const STEP_ENV = {
  WORKFLOW_SECRET: RUN_SECRETS.workflowSecret,
  ACTIONS_RUNTIME_TOKEN: RUN_SECRETS.runtimeToken,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: RUN_SECRETS.runtimeToken,
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.actions.example/oidc',
  GH_TOKEN: TOKEN,
  PUBLIC_SETTING: 'public-value-ok',
};

export interface HostileIssue {
  number: number;
  title?: string;
  body: string;
}

export interface HostileWorld extends World {
  /** Run the bundle for one issue, with its script, `sandbox: required` and the hostile step env. */
  runIssue(number: number, extra?: { inputs?: Record<string, string>; env?: Record<string, string> }): Promise<RunResult>;
  /** Index of the first API request of the latest run. */
  firstRequest: number;
}

/** One world for a suite: the fixture repo, the issues, and a script per issue (the replies, in order). */
export async function hostileWorld(issues: HostileIssue[], scripts: Record<number, Reply[]>): Promise<HostileWorld> {
  let current = issues[0].number;
  let step = 0;
  const world = await createWorld({
    fixtureDir: FIXTURE,
    github: { issues: issues.map((i) => ({ number: i.number, title: i.title ?? `Hostile case ${i.number}`, body: i.body, labels: ['agent:fix'], user: 'acme' })) },
    anthropic: { script: () => scripts[current]?.[step++] ?? { content: [{ type: 'text', text: 'Done.' }] } },
  });
  const hostile = world as HostileWorld;
  hostile.firstRequest = 0;
  let runs = 0;
  hostile.runIssue = async (number, extra = {}) => {
    current = number;
    step = 0;
    hostile.firstRequest = world.anthropic!.requests.length;
    const issue = issues.find((i) => i.number === number)!;
    // world.run, spelled out so the bundle can be chosen (TASKCAP_BUNDLE): a fresh checkout like a new job.
    runs += 1;
    const workspace = path.join(world.root, `hostile-${runs}`, 'work', world.repo);
    const runnerTemp = path.join(world.root, `hostile-${runs}`, 'temp');
    const checkout = await makeCheckout({ serverUrl: world.origin.url, owner: world.owner, repo: world.repo, token: TOKEN, workspace, runnerTemp });
    const result = await runAction({
      entry: BUNDLE,
      workspace: checkout.workspace,
      runnerTemp,
      eventName: 'issues',
      payload: issuesLabeled({ owner: 'acme', repo: 'slugkit', number, title: issue.title ?? `Hostile case ${number}`, body: issue.body, label: 'agent:fix', sender: 'acme' }),
      inputs: { 'anthropic-api-key': API_KEY, sandbox: 'required', 'allowed-env': 'PUBLIC_SETTING', ...extra.inputs },
      env: { ...STEP_ENV, ...extra.env },
      githubApiUrl: world.github.url,
      serverUrl: world.origin.url,
      repository: `${world.owner}/${world.repo}`,
      anthropicBaseUrl: world.anthropic!.url,
      githubToken: TOKEN,
    });
    if (process.env.DEBUG_E2E) {
      console.log(`${result.stdout}\n${result.stderr}`);
      toolResults(world, hostile.firstRequest).forEach((r, i) => console.log(`[tool result ${i}]${r.is_error ? ' (error)' : ''}\n${resultText(r).slice(0, 1500)}`));
    }
    return { ...result, workspace: checkout.workspace, runnerTemp };
  };
  return hostile;
}

interface ToolResult {
  tool_use_id: string;
  content: string | { type: string; text?: string }[];
  is_error?: boolean;
}

/** Tool results the model received, by tool_use id, in order (the last request holds the whole history). */
export function toolResults(world: World, fromRequest = 0): ToolResult[] {
  const requests = world.anthropic!.requests.slice(fromRequest);
  const last = requests[requests.length - 1]?.body as { messages: { role: string; content: unknown }[] } | undefined;
  const out: ToolResult[] = [];
  for (const m of last?.messages ?? []) {
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    for (const b of m.content as { type: string }[]) if (b.type === 'tool_result') out.push(b as unknown as ToolResult);
  }
  return out;
}

export const resultText = (r: ToolResult) => (typeof r.content === 'string' ? r.content : r.content.map((c) => c.text ?? '').join(''));

/** Every channel out of the runner, as text. */
export async function leakChannels(world: World, result: RunResult, fromRequest = 0) {
  const requests = world.anthropic!.requests.slice(fromRequest);
  const gitLog = await world.originGit(['log', '-p', '--all', '--format=%H %s%n%b']);
  return {
    /** Everything the model was sent (its own earlier turns included). */
    apiBodies: requests.map((r) => JSON.stringify(r.body)).join('\n'),
    /** What taskcap itself put in front of the model: the first message and every tool result. */
    apiFromTaskcap: requests.map((r) => {
      const msgs = (r.body as { messages: { role: string; content: unknown }[] }).messages;
      return JSON.stringify(msgs.filter((m) => m.role === 'user'));
    }).join('\n'),
    github: world.github.calls.map((c) => `${c.method} ${c.path} ${JSON.stringify(c.query)} ${JSON.stringify(c.body ?? null)}`).join('\n'),
    // The toolkit announces secrets to the runner with ::add-mask::<secret>; that line is the mechanism, not a leak.
    log: `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => !/^::add-mask::/.test(l)).join('\n'),
    outputs: JSON.stringify(result.outputs) + result.summary + JSON.stringify(result.exportedEnv),
    git: gitLog.stdout,
  };
}

/** Assert that no secret, in any encoding, left by any channel. `modelKnew`: only what taskcap sent is checked on the API side. */
export async function expectNoLeak(world: World, result: RunResult, opts: { fromRequest?: number; modelKnew?: boolean } = {}) {
  const ch = await leakChannels(world, result, opts.fromRequest);
  const found: string[] = [];
  for (const [name, secret] of Object.entries(RUN_SECRETS)) {
    for (const form of encodingsOf(secret)) {
      for (const [channel, text] of Object.entries(ch)) {
        if (channel === 'apiBodies' && opts.modelKnew) continue;
        if (text.includes(form)) found.push(`${name} (${form === secret ? 'plain' : 'encoded'}) in ${channel}`);
      }
    }
  }
  expect(found).toEqual([]);
}

/** Never a crash: a clean exit, or a clear failure the author can act on; no stack trace in the log. */
export function expectNoCrash(result: RunResult) {
  expect(result.timedOut).toBe(false);
  expect(result.signal).toBeNull();
  expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)|TypeError|ReferenceError|Unhandled/);
  if (result.exitCode !== 0) expect(result.stdout).toMatch(/::error::\S/);
}
