// Issue 16, through the bundle: a new user's first hour. Each mistake is answered where the person made it (one
// keyed comment, edited rather than repeated, never for events nobody aimed at taskcap), the defaults hold, and
// setup problems say what to change.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { issueCommentCreated, issuesLabeled, schedule } from '../../test/sim/payloads.mjs';
import { runAction } from '../../test/sim/run-action.mjs';
import { API_KEY, TOKEN } from '../../test/sim/world.mjs';
import { oneEdit, RECEIPT, REPO, SAMPLE, useWorld, type Options, type World } from './world-fixture.js';

type Run = Awaited<ReturnType<typeof runAction>>;

const setup = useWorld((o: Options & { labels?: string[]; config?: string }) => {
  const { labels = ['agent:fix'], config, ...rest } = o;
  return {
    fixtureDir: SAMPLE,
    anthropic: { script: oneEdit as never },
    ...rest,
    files: { ...(config !== undefined ? { '.github/taskcap.yml': config } : {}), ...rest.files },
    github: { permissions: { alice: 'write', rita: 'read' }, issues: [{ number: 4, title: 'Trailing dashes', body: 'x', labels, user: 'acme' }], ...rest.github },
  };
});

const labeled = (label: string, labels = [label], sender = 'alice') => issuesLabeled({ ...REPO, number: 4, title: 'Trailing dashes', label, labels, sender });
const commented = (body: string, sender = 'alice', labels: string[] = []) => issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body, sender, labels });
const notices = (w: World, cause?: string) => w.github.state.comments.filter((c) => c.body.includes(`<!-- taskcap:notice ${cause ?? ''}`));
const errorLine = (r: Run) => r.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';

/** The request was not served: the step failed with the reason, nothing was spent or pushed. */
function expectFailedBeforeWork(w: World, r: Run) {
  expect([r.exitCode, r.outputs.status]).toEqual([1, 'failed']);
  expect(w.anthropic!.requests).toHaveLength(0);
  expect(w.origin.pushes).toEqual([]);
}

/**
 * Exactly one notice of this cause, on issue #4, carrying `text` and the run link; delivering the same event again
 * edits that comment and adds none.
 */
async function expectOneNotice(w: World, cause: string, again: () => Promise<Run>, ...texts: string[]) {
  const first = notices(w);
  expect(first).toHaveLength(1);
  expect(first[0].issueNumber).toBe(4);
  expect(first[0].body.startsWith(`<!-- taskcap:notice ${cause} -->\n**taskcap did not start.** `)).toBe(true);
  for (const t of texts) expect(first[0].body).toContain(t);
  expect(first[0].body).toMatch(/\[Run log\]\(http:\/\/127\.0\.0\.1:\d+\/acme\/slugkit\/actions\/runs\/1\)/);
  const writes = w.github.writes().length;
  await again();
  expect(notices(w)).toHaveLength(1);
  expect(notices(w)[0].id).toBe(first[0].id);
  expect(w.github.writes().slice(writes).map((c) => c.operationId)).toEqual(['issues/update-comment']);
}

describe('a mistake in the request is answered on the issue, once', () => {
  it('/agent fixx: a question with the class to write, not a silent fix', async () => {
    const w = await setup({ labels: [], github: { permissions: { alice: 'write' }, comments: [{ issueNumber: 4, id: 5001, user: 'alice', body: '/agent fixx the redirect' }] } });
    const run = () => w.run({ eventName: 'issue_comment', payload: commented('/agent fixx the redirect') });
    const r = await run();
    expectFailedBeforeWork(w, r);
    expect(errorLine(r)).toBe("::error::The command's first word 'fixx' is not a taskcap class. Did you mean 'fix'? (classes: fix, refactor, feature, migration, explore, research, review)");
    await expectOneNotice(w, 'class', run, '`fixx` is not a taskcap class, so nothing was started. Did you mean `fix`? Comment again starting with `/agent fix`');
  }, 90_000);

  it('agent:migration (the class name, not its label): did you mean agent:migrate', async () => {
    const w = await setup({ labels: ['agent:migration'] });
    const run = () => w.run({ eventName: 'issues', payload: labeled('agent:migration') });
    const r = await run();
    expectFailedBeforeWork(w, r);
    expect(errorLine(r)).toContain("::error::Label 'agent:migration' on issue #4 is not a taskcap label. Did you mean 'agent:migrate'?");
    await expectOneNotice(w, 'label', run, 'Did you mean `agent:migrate`? Remove `agent:migration` and add `agent:migrate`.');
  }, 90_000);

  it('agent:fixx: did you mean agent:fix', async () => {
    const w = await setup({ labels: ['agent:fixx'] });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fixx') });
    expectFailedBeforeWork(w, r);
    expect(notices(w, 'label')).toHaveLength(1);
    expect(notices(w, 'label')[0].body).toContain('`agent:fixx` is not a taskcap label, so nothing was started. Did you mean `agent:fix`?');
  }, 60_000);

  it('budget:5m is not five million tokens: refused with the fix', async () => {
    const labels = ['agent:fix', 'budget:5m'];
    const w = await setup({ labels });
    const run = () => w.run({ eventName: 'issues', payload: labeled('budget:5m', labels) });
    const r = await run();
    expectFailedBeforeWork(w, r);
    const said = "Label 'budget:5m' does not give a budget in tokens; write it like budget:60k or budget:60000, between 20,000 (budget:20k) and 250,000 (budget:250k).";
    expect(errorLine(r)).toContain(`::error::${said} "m" is not a unit`);
    await expectOneNotice(w, 'budget', run, said);
  }, 90_000);

  it('without a config, a budget label above the built-in ceiling is refused and says how to raise it', async () => {
    const labels = ['agent:research', 'budget:300k'];
    const w = await setup({ labels });
    const r = await w.run({ eventName: 'issues', payload: labeled('budget:300k', labels) });
    expectFailedBeforeWork(w, r);
    const said =
      "Label 'budget:300k' asks for 300,000 tokens, above taskcap's built-in max-budget of 250,000 (the repository's config sets none; a maintainer can raise it with max-budget). Use budget:250k or less.";
    expect(errorLine(r)).toBe(`::error::${said}`);
    expect(notices(w, 'budget')[0].body).toContain(`${said} Nothing was started.`);
  }, 60_000);

  it('the same budget label within a configured max-budget runs', async () => {
    const labels = ['agent:research', 'budget:300k'];
    const w = await setup({ labels, config: 'max-budget: 300k\n' });
    const r = await w.run({ eventName: 'issues', payload: labeled('budget:300k', labels) });
    expect([r.exitCode, r.outputs.status, r.outputs.budget]).toEqual([0, 'completed', '300000']);
    expect(notices(w)).toHaveLength(0);
  }, 90_000);
});

describe('a refusal for permissions is answered on the issue; nobody is answered for what they did not ask', () => {
  it('a read user commenting /agent is told why, once', async () => {
    const w = await setup({ github: { permissions: { rita: 'read' }, comments: [{ issueNumber: 4, id: 5001, user: 'rita', body: '/agent fix' }] } });
    const run = () => w.run({ eventName: 'issue_comment', payload: commented('/agent fix', 'rita') });
    const r = await run();
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'refused']);
    expect(w.anthropic!.requests).toHaveLength(0);
    await expectOneNotice(w, 'permission', run, '`rita` has read access to this repository, and taskcap starts work only for people with write, maintain or admin access');
  }, 90_000);

  it('a bot that is not allowed, a label that is not taskcap’s and a comment without /agent get no answer', async () => {
    const w = await setup({ labels: ['bug'] });
    const bot = await w.run({ eventName: 'issues', payload: issuesLabeled({ ...REPO, number: 4, label: 'agent:fix', sender: 'renovate[bot]', senderType: 'Bot' }) });
    const bug = await w.run({ eventName: 'issues', payload: labeled('bug') });
    const chat = await w.run({ eventName: 'issue_comment', payload: commented('thanks, agent!') });
    expect([bot.outputs.status, bug.outputs.status, chat.outputs.status]).toEqual(['refused', 'skipped', 'skipped']);
    expect([bot.exitCode, bug.exitCode, chat.exitCode]).toEqual([0, 0, 0]);
    expect(w.github.writes()).toEqual([]);
  }, 90_000);

  it('a dry run answers nobody', async () => {
    const w = await setup({ labels: ['agent:fixx'] });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fixx'), inputs: { 'dry-run': 'true' } });
    expect(r.outputs.status).toBe('failed');
    expect(w.github.writes()).toEqual([]);
  }, 60_000);
});

describe('setup problems: the log says what to change, the issue says a maintainer must', () => {
  it('a broken config: the notice names the file, never its contents', async () => {
    const w = await setup({ config: 'classes:\n  fix: { effort: extreme, budget: 5m }\n' });
    const run = () => w.run({ eventName: 'issues', payload: labeled('agent:fix') });
    const r = await run();
    expectFailedBeforeWork(w, r);
    expect(r.stdout).toContain("classes.fix.effort: 'extreme' is not an effort level");
    expect(r.stdout).toContain('classes.fix.budget: \'5m\' is not a whole number of tokens ("m" is not a unit: write millions in thousands, like 1500k)');
    await expectOneNotice(w, 'config', run, "taskcap's config `.github/taskcap.yml` on the default branch has 2 problems, so nothing was started");
    expect(notices(w)[0].body).not.toMatch(/extreme|5m|effort/);
  }, 90_000);

  it('no API key: failed, and the issue hears that a maintainer must add the secret', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix'), inputs: { 'anthropic-api-key': '' } });
    expectFailedBeforeWork(w, r);
    expect(errorLine(r)).toContain("input 'anthropic-api-key' is empty. Pass it from a repository secret");
    expect(notices(w, 'setup')).toHaveLength(1);
    expect(notices(w, 'setup')[0].body).toContain('The workflow gives taskcap no Anthropic API key');
  }, 60_000);

  it('a model id with a dot: did you mean, not a price table', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix'), inputs: { model: 'claude-opus-4.7' } });
    expectFailedBeforeWork(w, r);
    expect(errorLine(r)).toBe(
      "::error::Model 'claude-opus-4.7' (the workflow's 'model' input) is not a model id taskcap knows. Did you mean 'claude-opus-4-7'? Write the id exactly as the API names it, with dashes: model: claude-opus-4-7",
    );
    expect(notices(w, 'setup')[0].body).toContain('The model taskcap is set to use is not one it knows (it looks like a typo), so nothing was started.');
    expect(notices(w, 'setup')[0].body).not.toContain('4.7');
  }, 60_000);

  it('an empty github-token (a secret that does not exist) fails clearly, before any API call', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix'), inputs: { 'github-token': '' } });
    expect([r.exitCode, r.outputs.status]).toEqual([1, 'failed']);
    expect(errorLine(r)).toContain("::error::Input 'github-token' is empty. It defaults to the workflow's token");
    expect(errorLine(r)).toContain("Remove the input to use the workflow's token, or create the secret.");
    expect(w.github.calls).toEqual([]);
  }, 60_000);

  it('a workspace that is not a git repository: add actions/checkout before taskcap', async () => {
    const w = await setup();
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-no-checkout-'));
    try {
      const r = await runDirect(w, workspace);
      expectFailedBeforeWork(w, r);
      expect(errorLine(r)).toContain('is not a git repository: add `actions/checkout` before taskcap in the job\'s steps');
      expect(notices(w, 'setup')[0].body).toContain('A maintainer needs to add `actions/checkout` before the taskcap step.');
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  }, 60_000);

  it("a checkout of another repository: nothing is written, the origin is named without its credentials", async () => {
    const w = await setup();
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-other-repo-'));
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: workspace, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: workspace } });
      git('init', '-q');
      git('-c', 'user.name=x', '-c', 'user.email=x@example.com', 'commit', '-q', '--allow-empty', '-m', 'other');
      git('remote', 'add', 'origin', 'https://someone:s3cret@github.com/someone/else.git');
      const r = await runDirect(w, workspace);
      expectFailedBeforeWork(w, r);
      expect(errorLine(r)).toMatch(/::error::The workspace's origin is 'https:\/\/\*\*\*@github\.com\/someone\/else\.git', not http:\/\/127\.0\.0\.1:\d+\/acme\/slugkit \(GITHUB_REPOSITORY\), so taskcap wrote nothing\./);
      expect(r.stdout).not.toContain('s3cret');
      expect(w.github.writes().map((c) => c.operationId)).toEqual(['issues/create-comment']);
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  }, 60_000);

  it('a schedule written differently from the task’s (MON vs 1) is explained, not silently skipped', async () => {
    const w = await setup({ config: 'tasks:\n  esm-migration: { class: migration, schedule: "0 3 * * 1", prompt: "Convert one file." }\n' });
    const r = await w.run({ eventName: 'schedule', payload: schedule({ cron: '0 3 * * MON' }) });
    expectFailedBeforeWork(w, r);
    expect(errorLine(r)).toContain(
      "::error::The workflow's schedule '0 3 * * MON' matches no task as written, but task 'esm-migration' has schedule '0 3 * * 1', which means the same time.",
    );
    expect(w.github.writes()).toEqual([]);
  }, 60_000);
});

describe('push and fetch failures say what to change', () => {
  it('a token that may not push (403): the receipt says which permissions line is missing', async () => {
    const w = await setup();
    w.origin.denyPushes();
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix'), inputs: { 'test-command': '' } });
    expect([r.exitCode, r.outputs.status]).toEqual([1, 'failed']);
    const reason = 'Publishing failed. GitHub refused the push (HTTP 403): the token may read this repository but not write to it. Give the job `contents: write` under `permissions:`';
    expect(errorLine(r)).toContain(reason);
    expect(errorLine(r)).toContain("This run's commit was not pushed: fix that, then re-run.");
    const receipt = w.github.state.comments.find((c) => c.body.includes(RECEIPT));
    expect(receipt?.body).toContain(reason);
  }, 90_000);

  it('a protected branch: the push is explained with the rule to change', async () => {
    const w = await setup();
    const hook = path.join(w.originDir, 'hooks', 'pre-receive');
    fs.writeFileSync(hook, '#!/bin/sh\necho "error: GH006: Protected branch update failed for refs/heads/taskcap/issue-4." >&2\nexit 1\n', { mode: 0o755 });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix') });
    expect(r.outputs.status).toBe('failed');
    expect(errorLine(r)).toContain('Publishing failed. GitHub rejected the push to `taskcap/issue-4`: a branch protection rule or ruleset covers it.');
    expect(errorLine(r)).toContain('exclude `taskcap/**` from the rule');
  }, 90_000);

  it('credentials git cannot use (no persisted checkout credentials, a wrong token): the fetch is explained', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix'), credentials: 'none', inputs: { 'github-token': 'ghs_expiredToken0000000000000000000000' } });
    expectFailedBeforeWork(w, r);
    expect(errorLine(r)).toContain("::error::GitHub did not accept taskcap's git credentials for the fetch (HTTP 401).");
    expect(errorLine(r)).toContain('(git said: ');
    // Only the mask command names it (the runner masks it everywhere else).
    expect(r.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain('ghs_expiredToken');
  }, 60_000);

  it('a comment the token may not write names the permissions line', async () => {
    const w = await setup({ labels: ['agent:fixx'] });
    w.github.failNext('issues/create-comment', { status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest', status: '403' } });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fixx') });
    expect(r.outputs.status).toBe('failed');
    expect(r.stdout).toMatch(/::warning::The notice could not be posted: Resource not accessible by integration.*\(the token may not do this: give the job `issues: write` under `permissions:`\)/);
  }, 60_000);
});

describe('the receipt and the cost cap', () => {
  it('a run with no cost cap at all says so on the receipt; one with a cap shows it', async () => {
    const w = await setup();
    await w.run({ eventName: 'issues', payload: labeled('agent:fix') });
    expect(w.github.state.comments.find((c) => c.body.includes(RECEIPT))?.body).toContain('⚠️ no cost cap: set `max-cost-usd`');
    const capped = await setup();
    await capped.run({ eventName: 'issues', payload: labeled('agent:fix'), inputs: { 'max-cost-usd': '2' } });
    const body = capped.github.state.comments.find((c) => c.body.includes(RECEIPT))?.body ?? '';
    expect(body).toContain('cost cap $2.0000');
    expect(body).not.toContain('no cost cap');
  }, 120_000);

  it('a cost cap too small for the first request says to raise it, not to re-run', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix'), inputs: { 'max-cost-usd': '0.0001' } });
    expect(r.outputs.status).toBe('budget-exhausted');
    expect(w.anthropic!.requests).toHaveLength(0);
    const body = w.github.state.comments.find((c) => c.body.includes(RECEIPT))?.body ?? '';
    expect(body).toMatch(/\*\*To start:\*\* set `max-cost-usd` to at least \$0\.\d{4}; the cap of \$0\.0001 does not cover the first request\./);
    expect(body).not.toContain('re-run to continue');
  }, 90_000);
});

/** Run the bundle in `workspace` (not a fresh checkout), against the world's simulators. */
function runDirect(w: World, workspace: string) {
  return runAction({
    workspace,
    eventName: 'issues',
    payload: labeled('agent:fix'),
    inputs: { 'anthropic-api-key': API_KEY },
    githubApiUrl: w.github.url,
    serverUrl: w.origin.url,
    repository: `${REPO.owner}/${REPO.repo}`,
    anthropicBaseUrl: w.anthropic!.url,
    githubToken: TOKEN,
  });
}
