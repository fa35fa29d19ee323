// Issue 4, through the bundle: budget overrides (labels, commands, dispatch input), the repo config read from the
// default branch only, and a bad config for every validation rule (failed, the key named and the value quoted,
// no model call, no push; the only write is the one notice that answers the person on the issue).
import { describe, expect, it } from '@jest/globals';
import { bash, text } from '../../test/sim/anthropic.mjs';
import { issueCommentCreated, issuesLabeled, pullRequestLabeled, workflowDispatch } from '../../test/sim/payloads.mjs';
import { oneEdit, RECEIPT, REPO, SAMPLE, useWorld, type Options, type World } from './world-fixture.js';
type Req = { body: { messages: unknown[]; output_config: { effort?: string; task_budget?: { type: string; total: number } } } };

const setup = useWorld((o: Options & { labels?: string[]; config?: string }) => {
  const { labels = ['agent:fix'], config, ...rest } = o;
  return {
    fixtureDir: SAMPLE,
    anthropic: { script: oneEdit as never },
    ...rest,
    files: { ...(config !== undefined ? { '.github/taskcap.yml': config } : {}), ...rest.files },
    github: { permissions: { alice: 'write' }, issues: [{ number: 4, title: 'Trailing dashes', body: 'x', labels, user: 'acme' }], ...rest.github },
  };
});

const requests = (w: World) => w.anthropic!.requests as unknown as Req[];
const budgetsSent = (w: World) => [...new Set(requests(w).map((r) => r.body.output_config.task_budget?.total))];
const labeled = (label: string, labels: string[]) => issuesLabeled({ ...REPO, number: 4, title: 'Trailing dashes', label, labels, sender: 'acme' });
const commented = (body: string, labels: string[] = []) => issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body, sender: 'alice', labels });
const receipt = (w: World) => w.github.state.comments.filter((c) => c.body.includes(RECEIPT));

/** Failed before any work: no model call, no push, and one notice of `cause` on issue #4. */
function expectFailedUntouched(w: World, r: { exitCode: number | null; outputs: Record<string, string> }, cause: string) {
  expect([r.exitCode, r.outputs.status]).toEqual([1, 'failed']);
  expect(w.anthropic!.requests).toHaveLength(0);
  expect(w.github.writes().map((c) => c.operationId)).toEqual(['issues/create-comment']);
  expect(w.github.state.comments.filter((c) => c.body.includes('<!-- taskcap:notice')).map((c) => [c.issueNumber, c.body.split('\n')[0]])).toEqual([
    [4, `<!-- taskcap:notice ${cause} -->`],
  ]);
  expect(w.origin.pushes).toEqual([]);
}

describe('budget overrides', () => {
  it('a budget:60k label added to an agent:fix issue: task_budget.total 60000 on every request, receipt says 60,000', async () => {
    const w = await setup({ labels: ['agent:fix', 'budget:60k'] });
    const r = await w.run({ eventName: 'issues', payload: labeled('budget:60k', ['agent:fix', 'budget:60k']) });
    expect([r.exitCode, r.outputs.status, r.outputs['budget-class'], r.outputs.budget]).toEqual([0, 'completed', 'fix', '60000']);
    expect(budgetsSent(w)).toEqual([60_000]);
    expect(receipt(w)).toHaveLength(1);
    expect(receipt(w)[0].body).toContain('60,000');
  }, 90_000);

  it('agent:fix labeled on an issue already carrying budget:60000', async () => {
    const w = await setup({ labels: ['budget:60000', 'agent:fix'] });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix', ['budget:60000', 'agent:fix']) });
    expect([r.outputs.status, r.outputs.budget]).toEqual(['completed', '60000']);
    expect(budgetsSent(w)).toEqual([60_000]);
  }, 90_000);

  it('a budget label on an issue without a class label is skipped, nothing written', async () => {
    const w = await setup({ labels: ['budget:60k'] });
    const r = await w.run({ eventName: 'issues', payload: labeled('budget:60k', ['budget:60k']) });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'skipped']);
    expect(r.stdout).toMatch(/sets a budget, but the issue has no taskcap class label yet/);
    expect(w.anthropic!.requests).toHaveLength(0);
    expect(w.github.writes()).toEqual([]);
  }, 60_000);

  it('/agent feature budget=60k: class feature (effort high) with a 60,000 budget', async () => {
    const w = await setup({ labels: [], github: { permissions: { alice: 'write' }, comments: [{ issueNumber: 4, id: 5001, user: 'alice', body: '/agent feature budget=60k\nAdd maxLength.' }] } });
    const r = await w.run({ eventName: 'issue_comment', payload: commented('/agent feature budget=60k\nAdd maxLength.') });
    expect([r.exitCode, r.outputs.status, r.outputs['budget-class'], r.outputs.budget]).toEqual([0, 'completed', 'feature', '60000']);
    for (const req of requests(w)) expect(req.body.output_config).toEqual({ effort: 'high', task_budget: { type: 'tokens', total: 60_000 } });
    expect(JSON.stringify(requests(w)[0].body.messages[0])).toContain('Add maxLength.');
  }, 90_000);

  it('the command budget wins over a budget label', async () => {
    const body = '/agent budget=25k';
    const w = await setup({ labels: ['agent:fix', 'budget:90k'], github: { permissions: { alice: 'write' }, comments: [{ issueNumber: 4, id: 5001, user: 'alice', body }] } });
    const r = await w.run({ eventName: 'issue_comment', payload: commented(body, ['agent:fix', 'budget:90k']) });
    expect([r.outputs.status, r.outputs['budget-class'], r.outputs.budget]).toEqual(['completed', 'fix', '25000']);
    expect(budgetsSent(w)).toEqual([25_000]);
  }, 90_000);

  it('workflow_dispatch budget input overrides a configured task budget', async () => {
    const w = await setup({ config: 'tasks:\n  sweep: { class: refactor, prompt: "Sweep dead code." }\n' });
    const r = await w.run({ eventName: 'workflow_dispatch', payload: workflowDispatch({ ...REPO, inputs: { task: 'sweep', budget: '25k' }, sender: 'alice' }) });
    expect([r.outputs.status, r.outputs['budget-class'], r.outputs.budget, r.outputs.branch]).toEqual(['completed', 'refactor', '25000', 'taskcap/task-sweep']);
    expect(budgetsSent(w)).toEqual([25_000]);
  }, 90_000);

  it.each([
    ['a budget:19k label', () => labeled('budget:19k', ['agent:fix', 'budget:19k']), ['agent:fix', 'budget:19k'], /Label 'budget:19k' asks for 19,000 tokens; the smallest task budget is 20,000/],
    ['a budget:lots label', () => labeled('budget:lots', ['agent:fix', 'budget:lots']), ['agent:fix', 'budget:lots'], /Label 'budget:lots' does not give a budget in tokens/],
    ['a budget:5m label (m is not a unit)', () => labeled('budget:5m', ['agent:fix', 'budget:5m']), ['agent:fix', 'budget:5m'], /Label 'budget:5m' does not give a budget in tokens; .*"m" is not a unit/],
    ['/agent budget=19999', () => commented('/agent budget=19999', ['agent:fix']), ['agent:fix'], /budget=19999 asks for 19,999 tokens; the smallest task budget is 20,000/],
    ['/agent fix budget=5k', () => commented('/agent fix budget=5k', ['agent:fix']), ['agent:fix'], /budget=5k asks for 5,000 tokens/],
  ])('%s → failed with the reason, no model call, no write', async (_what, payload, labels, message) => {
    const w = await setup({ labels });
    const p = payload();
    const r = await w.run({ eventName: 'action' in p && p.comment ? 'issue_comment' : 'issues', payload: p });
    expectFailedUntouched(w, r, 'budget');
    expect(r.stdout).toMatch(/::error::/);
    expect(r.stdout).toMatch(message);
  }, 60_000);

  it('a budget label above the config max-budget fails, no model call', async () => {
    const w = await setup({ labels: ['agent:fix', 'budget:300k'], config: 'max-budget: 250000\n' });
    const r = await w.run({ eventName: 'issues', payload: labeled('budget:300k', ['agent:fix', 'budget:300k']) });
    expectFailedUntouched(w, r, 'budget');
    expect(r.stdout).toMatch(/asks for 300,000 tokens, above the repository's max-budget of 250,000\. Use budget:250k or less\./);
  }, 60_000);
});

describe('the config comes from the default branch only', () => {
  const MAIN = 'classes:\n  fix: { budget: 30000 }\n';
  const HEAD = 'classes:\n  fix: { budget: 150000, effort: max }\nlabels:\n  "agent:big": research\n';
  const refs = [
    { ref: 'refs/heads/feature/raise', files: { '.github/taskcap.yml': HEAD, 'src/extra.js': 'export const extra = 1;\n' }, message: 'Raise my own budget' },
    { ref: 'refs/pull/7/merge', merge: ['refs/heads/main', 'refs/heads/feature/raise'] as [string, string] },
  ];
  const pulls = [{ number: 7, title: 'Raise', head: 'feature/raise', user: 'alice' }];

  it('a PR head that raises the budget in .github/taskcap.yml does not change it: the default branch budget is used', async () => {
    const w = await setup({ config: MAIN, extraRefs: refs, github: { permissions: { alice: 'write' }, pulls } });
    const head = (await w.branchSha('feature/raise'))!;
    const r = await w.run({
      eventName: 'pull_request',
      payload: pullRequestLabeled({ ...REPO, number: 7, label: 'agent:fix', headRef: 'feature/raise', headSha: head, sender: 'alice' }),
      checkoutRef: 'refs/pull/7/merge',
    });
    expect([r.exitCode, r.outputs.status, r.outputs['budget-class'], r.outputs.budget]).toEqual([0, 'completed', 'fix', '30000']);
    for (const req of requests(w)) expect(req.body.output_config).toEqual({ effort: 'high', task_budget: { type: 'tokens', total: 30_000 } });
    const reads = w.github.calls.filter((c) => c.operationId === 'repos/get-content');
    expect(reads.length).toBeGreaterThan(0);
    for (const c of reads) expect(c.query.ref).toBe('main');
  }, 90_000);

  it("a label only the PR head's config knows is not a taskcap label (the person is told so on the PR)", async () => {
    const w = await setup({ config: MAIN, extraRefs: refs, github: { permissions: { alice: 'write' }, pulls } });
    const head = (await w.branchSha('feature/raise'))!;
    const r = await w.run({
      eventName: 'pull_request',
      payload: pullRequestLabeled({ ...REPO, number: 7, label: 'agent:big', headRef: 'feature/raise', headSha: head, sender: 'alice' }),
      checkoutRef: 'refs/pull/7/merge',
    });
    expect(r.outputs.status).toBe('failed');
    expect(r.stdout).toContain("Label 'agent:big' on pull request #7 is not a taskcap label.");
    expect(w.anthropic!.requests).toHaveLength(0);
    expect(w.github.writes().map((c) => c.operationId)).toEqual(['issues/create-comment']);
    expect(w.github.state.comments.find((c) => c.body.includes('<!-- taskcap:notice label -->'))?.issueNumber).toBe(7);
  }, 60_000);

  it('the agent cannot edit the config: a change to .github/taskcap.yml is left out of the patch', async () => {
    const w = await setup({
      config: MAIN,
      anthropic: {
        script: ((req: Req) =>
          req.body.messages.length === 1
            ? { content: [bash('echo "max-budget: 9000000" >> .github/taskcap.yml && echo "// x" >> src/slugify.js')] }
            : { content: [text('Done.')] }) as never,
      },
    });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix', ['agent:fix']) });
    expect(r.outputs.status).toBe('completed');
    expect((await w.originGit(['show', 'refs/heads/taskcap/issue-4:.github/taskcap.yml'])).stdout).toBe(MAIN);
  }, 90_000);
});

describe('config features through the bundle', () => {
  it('a custom class with its own label, budget and effort', async () => {
    const w = await setup({ labels: ['agent:docs'], config: 'classes:\n  docs: { budget: 30000, effort: low, label: "agent:docs" }\n' });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:docs', ['agent:docs']) });
    expect([r.exitCode, r.outputs.status, r.outputs['budget-class'], r.outputs.budget]).toEqual([0, 'completed', 'docs', '30000']);
    expect(requests(w)[0].body.output_config).toEqual({ effort: 'low', task_budget: { type: 'tokens', total: 30_000 } });
  }, 90_000);

  it('an extra label mapped to a built-in class', async () => {
    const w = await setup({ labels: ['good first bot'], config: 'labels:\n  "good first bot": refactor\n' });
    const r = await w.run({ eventName: 'issues', payload: labeled('good first bot', ['good first bot']) });
    expect([r.outputs.status, r.outputs['budget-class'], r.outputs.budget]).toEqual(['completed', 'refactor', '40000']);
  }, 90_000);

  it('a budget given as the string "20k" is accepted (20,000)', async () => {
    const w = await setup({ config: 'classes:\n  fix: { budget: "20k" }\n' });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix', ['agent:fix']) });
    expect([r.exitCode, r.outputs.status, r.outputs.budget]).toEqual([0, 'completed', '20000']);
    expect(budgetsSent(w)).toEqual([20_000]);
  }, 90_000);

  it('config-path points at another file', async () => {
    const w = await setup({ files: { 'ci/taskcap.yaml': 'classes:\n  fix: { budget: 45000 }\n' } });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix', ['agent:fix']), inputs: { 'config-path': 'ci/taskcap.yaml' } });
    expect([r.outputs.status, r.outputs.budget]).toEqual(['completed', '45000']);
  }, 90_000);
});

describe('a bad config: failed, the key named and the value quoted, no model call, no write', () => {
  // core.setFailed encodes newlines in the ::error:: command as %0A; each problem is checked on its own.
  const CASES: [string, string, string[]][] = [
    ['malformed YAML', 'classes:\n  fix: { budget: [60000 }\n', ['is not valid YAML', 'line 2']],
    ['a tab in the indentation', 'classes:\n\tfix: { budget: 60000 }\n', ['is not valid YAML', 'Tabs are not allowed', 'line 2']],
    ['a duplicate key', 'classes:\n  fix:\n    budget: 60000\n    budget: 70000\n', ['is not valid YAML', 'Map keys must be unique', 'line 4', "('budget: 70000')"]],
    ['an unknown top-level key', 'clases:\n  fix: { budget: 60000 }\n', ["clases: unknown key 'clases' (did you mean 'classes'?)", 'Allowed keys: model, classes']],
    ['an unknown class key', 'classes:\n  fix: { budjet: 60000 }\n', ["classes.fix.budjet: unknown key 'budjet' (did you mean 'budget'?)"]],
    ['a budget of 19999', 'classes:\n  fix: { budget: 19999 }\n', ["classes.fix.budget: '19999' is below 20,000 tokens", 'Use 20000 or more']],
    ['a budget "19k" string', 'classes:\n  fix: { budget: "19k" }\n', ["classes.fix.budget: '19k' is below 20,000 tokens"]],
    ['a budget that is not a number', 'classes:\n  fix: { budget: lots }\n', ["classes.fix.budget: 'lots' is not a whole number of tokens"]],
    ['an unknown effort', 'classes:\n  fix: { effort: extreme }\n', ["classes.fix.effort: 'extreme' is not an effort level", 'low, medium, high, xhigh, max']],
    ['an unknown class in labels', 'labels:\n  "agent:docs": docs\n', ["labels.agent:docs: 'docs' is not a class", 'Known classes: fix, refactor']],
    ['an unknown class in tasks', 'tasks:\n  nightly: { class: nope, prompt: "x", schedule: "0 3 * * 1" }\n', ["tasks.nightly.class: 'nope' is not a class"]],
    ['a bad cron', 'tasks:\n  nightly: { class: fix, prompt: "x", schedule: "every monday" }\n', ["tasks.nightly.schedule: 'every monday' is not a cron expression with 5 fields"]],
    ['a task name git cannot use as a branch', 'tasks:\n  weekly..sweep: { class: fix, prompt: "x" }\n', ["tasks.weekly..sweep: task names are letters, digits"]],
    ['a task name ending in .lock', 'tasks:\n  sweep.lock: { class: fix, prompt: "x" }\n', ["tasks.sweep.lock: task names are letters, digits"]],
    ['a task without a prompt', 'tasks:\n  nightly: { class: fix, schedule: "0 3 * * 1" }\n', ['tasks.nightly.prompt: the task needs a prompt']],
    ['a new class without effort', 'classes:\n  docs: { budget: 30000 }\n', ['classes.docs: a new class needs both budget and effort']],
    ['a class budget above max-budget', 'max-budget: 100000\nclasses:\n  migration: { budget: 200000 }\n', ['classes.migration.budget: 200000 is above max-budget (100000)']],
    ['a bad model id', 'model: "claude opus"\n', ["model: 'claude opus' is not a model id"]],
    ['a top level that is not a mapping', '- fix\n- feature\n', ['the file must be a mapping of keys']],
  ];

  it.each(CASES)('%s', async (_what, config, expected) => {
    const w = await setup({ config });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix', ['agent:fix']) });
    expectFailedUntouched(w, r, 'config');
    const error = r.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
    expect(error).toContain(".github/taskcap.yml' (read from the default branch)");
    for (const e of expected) expect(error).toContain(e);
  }, 60_000);

  it('several problems are all reported at once', async () => {
    const w = await setup({ config: 'classes:\n  fix: { budget: 100, effort: huge }\nlabels:\n  "x": nope\n' });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:fix', ['agent:fix']) });
    expectFailedUntouched(w, r, 'config');
    expect(r.stdout).toMatch(/has 3 problems/);
    expect(r.stdout).toContain("classes.fix.budget: '100'");
    expect(r.stdout).toContain("classes.fix.effort: 'huge'");
    expect(r.stdout).toContain("labels.x: 'nope'");
  }, 60_000);
});
