import { describe, expect, it } from '@jest/globals';
import type { TaskcapConfig } from '../../src/config/config.js';
import { defaultConfig } from '../../src/config/config.js';
import type { Decision, Stop } from '../../src/decision.js';
import { parseConfig } from '../../src/config/load-config.js';
import { findBudgetLabel, overrideBudget, parseAgentCommand } from '../../src/trigger/command.js';
import { intentsFor, type Intent } from '../../src/trigger/intent.js';
import { routeEvent, type Trigger } from '../../src/trigger/route-event.js';
import {
  issueCommentCreated,
  issuesLabeled,
  pullRequestLabeled,
  pullRequestReviewCommentCreated,
  pullRequestReviewSubmitted,
  schedule,
  workflowDispatch,
} from '../../test/sim/payloads.mjs';

const CLASSES = Object.keys(defaultConfig().classes);
const REPO = { owner: 'acme', repo: 'slugkit' } as const;
/** A decision's value when it goes on, else the stop itself: assertions read either directly. */
const unwrap = <T>(d: Decision<T>): T | Stop => (d.kind === 'go' ? d.value : d);
/** The reason of a stop of this kind, else undefined. */
const stopped = (x: unknown, kind: Stop['kind']) => ((x as Stop).kind === kind ? (x as Stop).reason : undefined);
const route = (event: string, payload: unknown) => unwrap(routeEvent(event, payload as Record<string, unknown>));
const intents = (trigger: Trigger, config: TaskcapConfig) => unwrap(intentsFor(trigger, config));

describe('parseAgentCommand', () => {
  it.each<[string, ReturnType<typeof parseAgentCommand>]>([
    ['/agent', { instructions: '' }],
    ['  /agent  ', { instructions: '' }],
    ['/agent fix', { className: 'fix', instructions: '' }],
    ['/Agent FEATURE', { className: 'feature', instructions: '' }],
    ['/agent feature budget=60k', { className: 'feature', budgetText: '60k', instructions: '' }],
    ['/agent budget=60000', { budgetText: '60000', instructions: '' }],
    ['/agent budget:60k', { budgetText: '60k', instructions: '' }],
    ['/agent fix the redirect', { className: 'fix', instructions: 'the redirect' }],
    ['/agent please fix the redirect', { instructions: 'please fix the redirect' }],
    ['/agent review\nAddress the nits.\r\nThanks.', { className: 'review', instructions: 'Address the nits.\nThanks.' }],
    ['/agent refactor budget=30k tidy up\n\nMore detail.', { className: 'refactor', budgetText: '30k', instructions: 'tidy up\nMore detail.' }],
    ['/agent\n\nJust the body.', { instructions: 'Just the body.' }],
    ['/agent docs', { instructions: 'docs' }],
  ])('%j', (body, expected) => {
    expect(parseAgentCommand(body, CLASSES)).toEqual(expected);
  });

  it.each(['', 'agent fix', 'please /agent fix', '/agents fix', '> /agent fix', 'hello\n/agent fix'])('%j is not a command', (body) => {
    expect(parseAgentCommand(body, CLASSES)).toBeUndefined();
  });

  it('null and undefined bodies are not commands', () => {
    expect(parseAgentCommand(null, CLASSES)).toBeUndefined();
    expect(parseAgentCommand(undefined, CLASSES)).toBeUndefined();
  });

  it('only classes the config knows are classes', () => {
    expect(parseAgentCommand('/agent docs', [...CLASSES, 'docs'])).toEqual({ className: 'docs', instructions: '' });
  });
});

describe('findBudgetLabel and overrideBudget', () => {
  it('finds the budget label among the labels', () => {
    expect(findBudgetLabel(['agent:fix', 'budget:60k', 'bug'])).toBe('budget:60k');
    expect(findBudgetLabel(['agent:fix', 'Budget:60K'])).toBe('Budget:60K');
    expect(findBudgetLabel(['agent:fix'])).toBeUndefined();
  });

  const BUILT_IN = { tokens: 250_000, configured: false };
  it.each<[string, { tokens: number; configured: boolean }, { budget: number } | RegExp]>([
    ['60k', BUILT_IN, { budget: 60_000 }],
    ['60000', BUILT_IN, { budget: 60_000 }],
    ['20k', BUILT_IN, { budget: 20_000 }],
    ['19999', BUILT_IN, /asks for 19,999 tokens; the smallest task budget is 20,000 \(budget:20k\)\./],
    ['0', BUILT_IN, /asks for 0 tokens/],
    ['lots', BUILT_IN, /does not give a budget in tokens; write it like budget:60k or budget:60000, between 20,000 \(budget:20k\) and 250,000 \(budget:250k\)\.$/],
    ['5m', BUILT_IN, /does not give a budget in tokens; .* "m" is not a unit, so a slip of one key cannot ask for millions of tokens\./],
    ['300k', { tokens: 250_000, configured: true }, /asks for 300,000 tokens, above the repository's max-budget of 250,000\. Use budget:250k or less\./],
    ['300k', BUILT_IN, /asks for 300,000 tokens, above taskcap's built-in max-budget of 250,000 \(the repository's config sets none; a maintainer can raise it with max-budget\)\. Use budget:250k or less\./],
    ['250k', { tokens: 250_000, configured: true }, { budget: 250_000 }],
  ])('%j (max %p)', (text, max, expected) => {
    const r = overrideBudget('Label', text, max);
    if (expected instanceof RegExp) {
      expect(stopped(r, 'invalid')).toMatch(expected);
      expect(stopped(r, 'invalid')?.startsWith('Label ')).toBe(true);
    } else expect(r).toEqual({ kind: 'go', value: expected.budget });
  });
});

describe('routeEvent (real webhook payloads)', () => {
  it('issues.labeled → issue-label with labels and sender', () => {
    const t = route('issues', issuesLabeled({ ...REPO, number: 5, label: 'agent:fix', labels: ['bug', 'agent:fix'], sender: 'alice', title: 'T', body: 'B' }));
    expect(t).toMatchObject({ kind: 'issue-label', label: 'agent:fix', sender: { login: 'alice', type: 'User' } });
    expect((t as Extract<Trigger, { kind: 'issue-label' }>).issue).toMatchObject({ number: 5, title: 'T', body: 'B', labels: ['bug', 'agent:fix'], isPull: false, state: 'open' });
  });

  it('issues.opened and other actions are skipped', () => {
    const p = issuesLabeled({ ...REPO });
    p.action = 'opened';
    expect(route('issues', p)).toEqual({ kind: 'skip', reason: "event 'issues.opened' does not start taskcap work" });
  });

  it('pull_request.labeled → pr-label with the head (same repo and fork)', () => {
    const same = route('pull_request', pullRequestLabeled({ ...REPO, number: 7, label: 'agent:fix', headRef: 'feature/x', headSha: 'a'.repeat(40) }));
    expect((same as Extract<Trigger, { kind: 'pr-label' }>).pull).toMatchObject({ number: 7, headRef: 'feature/x', headSha: 'a'.repeat(40), headRepo: 'acme/slugkit', baseRef: 'main' });
    const fork = route('pull_request_target', pullRequestLabeled({ ...REPO, number: 8, label: 'agent:fix', fork: 'forker' }));
    expect((fork as Extract<Trigger, { kind: 'pr-label' }>).pull.headRepo).toBe('forker/slugkit');
  });

  it('issue_comment.created /agent → issue-comment (on an issue and on a PR)', () => {
    const onIssue = route('issue_comment', issueCommentCreated({ ...REPO, number: 9, commentId: 11, body: '/agent fix' }));
    expect(onIssue).toMatchObject({ kind: 'issue-comment', comment: { id: 11, body: '/agent fix' }, issue: { number: 9, isPull: false } });
    const onPull = route('issue_comment', issueCommentCreated({ ...REPO, number: 7, commentId: 12, body: '/agent', onPullRequest: true }));
    expect(onPull).toMatchObject({ kind: 'issue-comment', issue: { number: 7, isPull: true } });
  });

  it.each([
    ['edited', 'edited', '/agent fix', /issue_comment\.edited: only new comments start work/],
    ['deleted', 'deleted', '/agent fix', /only new comments start work/],
    ['not a command', 'created', 'LGTM', /does not start with \/agent/],
    ['own receipt', 'created', '<!-- taskcap:receipt -->\n/agent', /was written by taskcap/],
    ['own marker after the command', 'created', '/agent fix\n<!-- taskcap:notice -->', /was written by taskcap/],
  ])('issue_comment %s → skip', (_what, action, body, reason) => {
    const p = issueCommentCreated({ ...REPO, body });
    p.action = action;
    const t = route('issue_comment', p);
    expect(stopped(t, 'skip')).toMatch(reason);
  });

  it('pull_request_review_comment.created /agent → review-comment with path, line and hunk', () => {
    const t = route(
      'pull_request_review_comment',
      pullRequestReviewCommentCreated({ ...REPO, number: 7, commentId: 21, body: '/agent rename', path: 'src/a.js', line: 4, diffHunk: '@@ -1 +1 @@' }),
    );
    expect(t).toMatchObject({ kind: 'review-comment', pull: { number: 7 }, comment: { id: 21, path: 'src/a.js', line: 4, diffHunk: '@@ -1 +1 @@', body: '/agent rename' } });
    const plain = route('pull_request_review_comment', pullRequestReviewCommentCreated({ ...REPO, body: 'nit' }));
    expect(stopped(plain, 'skip')).toBeDefined();
  });

  it.each<[string, { body: string | null; state: 'commented' | 'approved' | 'changes_requested'; headRef: string }, boolean]>([
    ['/agent in the body', { body: '/agent please', state: 'commented', headRef: 'feature/x' }, true],
    ['changes requested on a taskcap PR', { body: 'Fix these', state: 'changes_requested', headRef: 'taskcap/issue-3' }, true],
    ['changes requested with no body on a taskcap PR', { body: null, state: 'changes_requested', headRef: 'taskcap/task-weekly' }, true],
    ['changes requested on a human PR', { body: 'Fix these', state: 'changes_requested', headRef: 'feature/x' }, false],
    ['approval of a taskcap PR', { body: 'LGTM', state: 'approved', headRef: 'taskcap/issue-3' }, false],
    ['comment review on a taskcap PR', { body: 'Hmm', state: 'commented', headRef: 'taskcap/issue-3' }, false],
  ])('pull_request_review.submitted: %s → %p', (_what, o, works) => {
    const t = route('pull_request_review', pullRequestReviewSubmitted({ ...REPO, number: 7, reviewId: 31, ...o }));
    if (works) expect(t).toMatchObject({ kind: 'review', review: { id: 31, state: o.state }, pull: { headRef: o.headRef } });
    else expect(stopped(t, 'skip')).toBeDefined();
  });

  it('pull_request_review dismissed is skipped', () => {
    const p = pullRequestReviewSubmitted({ ...REPO, body: '/agent' });
    p.action = 'dismissed';
    expect(route('pull_request_review', p)).toEqual({ kind: 'skip', reason: 'pull_request_review.dismissed: only submitted reviews start work' });
  });

  it('schedule and workflow_dispatch', () => {
    expect(route('schedule', schedule({ cron: '0 3 * * 1' }))).toEqual({ kind: 'schedule', cron: '0 3 * * 1' });
    expect(stopped(route('schedule', {}), 'skip')).toBeDefined();
    const d = route('workflow_dispatch', workflowDispatch({ ...REPO, inputs: { task: 'weekly', budget: 60000, dry: false }, sender: 'alice' }));
    expect(d).toEqual({ kind: 'dispatch', inputs: { task: 'weekly', budget: '60000', dry: 'false' }, sender: { login: 'alice', type: 'User' } });
  });

  it('other events are skipped with a one-line reason', () => {
    expect(route('push', { ref: 'refs/heads/main' })).toEqual({ kind: 'skip', reason: "event 'push' does not start taskcap work" });
    expect(route('pull_request', { action: 'opened' })).toEqual({ kind: 'skip', reason: "event 'pull_request.opened' does not start taskcap work" });
  });
});

// ---- intentsFor: class and budget resolution ----

const sender = { login: 'alice', type: 'User' };
const issue = (labels: string[], extra: Partial<{ state: string; isPull: boolean }> = {}) => ({ number: 4, title: 'T', body: 'B', state: 'open', labels, isPull: false, ...extra });
const pull = (labels: string[], extra: Partial<{ state: string; headRef: string }> = {}) => ({ number: 7, title: 'P', body: '', state: 'open', labels, headRef: 'feature/x', headSha: 'abc', headRepo: 'acme/slugkit', ...extra });
const T = {
  issueLabel: (label: string, labels: string[] = [label], extra = {}): Trigger => ({ kind: 'issue-label', issue: issue(labels, extra), label, sender }),
  prLabel: (label: string, labels: string[] = [label], extra = {}): Trigger => ({ kind: 'pr-label', pull: pull(labels, extra), label, sender }),
  comment: (body: string, labels: string[] = [], extra: Partial<{ state: string; isPull: boolean }> = {}): Trigger => ({ kind: 'issue-comment', issue: issue(labels, extra), comment: { id: 1, body }, sender }),
  reviewComment: (body: string, labels: string[] = []): Trigger => ({ kind: 'review-comment', pull: pull(labels), comment: { id: 2, body, path: 'a.js' }, sender }),
  review: (body: string, state = 'commented', labels: string[] = []): Trigger => ({ kind: 'review', pull: pull(labels, { headRef: 'taskcap/issue-4' }), review: { id: 3, body, state }, sender }),
  schedule: (cron: string): Trigger => ({ kind: 'schedule', cron }),
  dispatch: (inputs: Record<string, string>): Trigger => ({ kind: 'dispatch', inputs, sender }),
};

const CONFIG = parseConfig(
  [
    'max-budget: 300k',
    'classes:',
    '  docs: { budget: 30000, effort: low, label: "agent:docs" }',
    'labels:',
    '  "documentation": docs',
    'tasks:',
    '  weekly-a: { class: migration, schedule: "0 3 * * 1", prompt: "Do A." }',
    '  weekly-b: { class: refactor, schedule: "0 3 * * 1", prompt: "Do B." }',
    '  manual: { class: docs, prompt: "Write docs." }',
    '',
  ].join('\n'),
  'taskcap.yml',
);

type Expect = { className: string; budget: number; instructions?: string } | { skip: RegExp } | { invalid: RegExp };

function check(result: ReturnType<typeof intents>, expected: Expect) {
  if ('skip' in expected) {
    expect(stopped(result, 'skip')).toMatch(expected.skip);
  } else if ('invalid' in expected) {
    expect(stopped(result, 'invalid')).toMatch(expected.invalid);
  } else {
    expect(Array.isArray(result)).toBe(true);
    const [intent] = result as Intent[];
    expect((result as Intent[]).length).toBe(1);
    expect({ className: intent.className, budget: intent.budget, ...(expected.instructions !== undefined ? { instructions: intent.instructions } : {}) }).toEqual(expected);
  }
}

describe('intentsFor: class and budget resolution', () => {
  const dflt = defaultConfig();
  it.each<[string, Trigger, TaskcapConfig, Expect]>([
    // labels
    ['agent:fix', T.issueLabel('agent:fix'), dflt, { className: 'fix', budget: 50_000 }],
    ['agent:refactor', T.issueLabel('agent:refactor'), dflt, { className: 'refactor', budget: 40_000 }],
    ['agent:feature', T.issueLabel('agent:feature'), dflt, { className: 'feature', budget: 80_000 }],
    ['agent:migrate', T.issueLabel('agent:migrate'), dflt, { className: 'migration', budget: 200_000 }],
    ['agent:explore', T.issueLabel('agent:explore'), dflt, { className: 'explore', budget: 150_000 }],
    ['agent:research', T.issueLabel('agent:research'), dflt, { className: 'research', budget: 250_000 }],
    ['the label just added wins over another class label', T.issueLabel('agent:feature', ['agent:fix', 'agent:feature']), dflt, { className: 'feature', budget: 80_000 }],
    ['agent:fix with budget:60k present', T.issueLabel('agent:fix', ['budget:60k', 'agent:fix']), dflt, { className: 'fix', budget: 60_000 }],
    ['budget:60000 added to an agent:feature issue', T.issueLabel('budget:60000', ['agent:feature', 'budget:60000']), dflt, { className: 'feature', budget: 60_000 }],
    ['budget:60k added, the label list lacks it (payload race)', T.issueLabel('budget:60k', ['agent:refactor']), dflt, { className: 'refactor', budget: 60_000 }],
    ['budget label without a class label', T.issueLabel('budget:60k'), dflt, { skip: /sets a budget, but the issue has no taskcap class label yet/ }],
    ['a label that is not taskcap’s', T.issueLabel('bug'), dflt, { skip: /label 'bug' on issue #4 is not a taskcap label \(taskcap labels: agent:explore, agent:feature/ }],
    ['a closed issue', T.issueLabel('agent:fix', ['agent:fix'], { state: 'closed' }), dflt, { skip: /issue #4 is closed/ }],
    ['budget:19k', T.issueLabel('budget:19k', ['agent:fix', 'budget:19k']), dflt, { invalid: /Label 'budget:19k' asks for 19,000 tokens/ }],
    ['budget:big', T.issueLabel('agent:fix', ['agent:fix', 'budget:big']), dflt, { invalid: /Label 'budget:big' does not give a budget/ }],
    ['budget above max-budget', T.issueLabel('agent:fix', ['agent:fix', 'budget:400k']), CONFIG, { invalid: /above the repository's max-budget of 300,000/ }],
    ['a custom class label', T.issueLabel('agent:docs'), CONFIG, { className: 'docs', budget: 30_000 }],
    ['an extra label mapping', T.issueLabel('documentation'), CONFIG, { className: 'docs', budget: 30_000 }],
    ['a custom label is unknown without the config', T.issueLabel('agent:docs'), dflt, { invalid: /Label 'agent:docs' on issue #4 is not a taskcap label\. \(taskcap labels: agent:explore/ }],
    ['PR label agent:fix', T.prLabel('agent:fix'), dflt, { className: 'fix', budget: 50_000 }],
    ['PR label budget:60k on an agent:feature PR', T.prLabel('budget:60k', ['agent:feature', 'budget:60k']), dflt, { className: 'feature', budget: 60_000 }],
    ['PR budget label without class', T.prLabel('budget:60k'), dflt, { skip: /the PR has no taskcap class label yet/ }],
    ['closed PR', T.prLabel('agent:fix', ['agent:fix'], { state: 'closed' }), dflt, { skip: /pull request #7 is closed/ }],
    // comment commands
    ['/agent on an unlabeled issue', T.comment('/agent'), dflt, { className: 'fix', budget: 50_000 }],
    ['/agent on an agent:feature issue', T.comment('/agent', ['agent:feature']), dflt, { className: 'feature', budget: 80_000 }],
    ['/agent on an issue with a budget label', T.comment('/agent', ['agent:refactor', 'budget:25k']), dflt, { className: 'refactor', budget: 25_000 }],
    ['/agent feature budget=60k', T.comment('/agent feature budget=60k\nAdd it.'), dflt, { className: 'feature', budget: 60_000, instructions: 'Add it.' }],
    ['/agent budget=30k overrides the budget label', T.comment('/agent budget=30k', ['agent:fix', 'budget:90k']), dflt, { className: 'fix', budget: 30_000 }],
    ['/agent class overrides the issue label', T.comment('/agent explore', ['agent:fix']), dflt, { className: 'explore', budget: 150_000 }],
    ['/agent budget=10k', T.comment('/agent budget=10k'), dflt, { invalid: /The command's budget=10k asks for 10,000 tokens/ }],
    ['/agent on a PR', T.comment('/agent tidy', [], { isPull: true }), dflt, { className: 'review', budget: 40_000, instructions: 'tidy' }],
    ['/agent feature on a PR', T.comment('/agent feature', [], { isPull: true }), dflt, { className: 'feature', budget: 80_000 }],
    ['/agent docs with the custom class', T.comment('/agent docs budget=40k', [], {}), CONFIG, { className: 'docs', budget: 40_000 }],
    ['/agent on a closed issue', T.comment('/agent', [], { state: 'closed' }), dflt, { skip: /issue #4 is closed/ }],
    // review comments and reviews
    ['review comment /agent', T.reviewComment('/agent rename it'), dflt, { className: 'review', budget: 40_000, instructions: 'rename it' }],
    ['review comment /agent refactor budget=25k', T.reviewComment('/agent refactor budget=25k'), dflt, { className: 'refactor', budget: 25_000 }],
    ['review comment on a PR with a budget label', T.reviewComment('/agent', ['budget:50k']), dflt, { className: 'review', budget: 50_000 }],
    ['changes requested on a taskcap PR', T.review('Please fix these', 'changes_requested'), dflt, { className: 'review', budget: 40_000, instructions: 'Please fix these' }],
    ['review /agent budget=30k', T.review('/agent budget=30k\nDo it.'), dflt, { className: 'review', budget: 30_000, instructions: 'Do it.' }],
  ])('%s', (_what, trigger, config, expected) => {
    check(intents(trigger, config), expected);
  });

  it('schedule: every task due at that cron, each with its class budget', () => {
    const r = intents(T.schedule('0 3 * * 1'), CONFIG) as Intent[];
    expect(r.map((i) => [i.className, i.budget, i.configured])).toEqual([
      ['migration', 200_000, { name: 'weekly-a', prompt: 'Do A.' }],
      ['refactor', 40_000, { name: 'weekly-b', prompt: 'Do B.' }],
    ]);
    check(intents(T.schedule('0 4 * * 1'), CONFIG), { invalid: /The workflow's schedule '0 4 \* \* 1' matches no task in the config \(its schedules: '0 3 \* \* 1' \(weekly-a\), '0 3 \* \* 1' \(weekly-b\)\)/ });
    check(intents(T.schedule('0 3 * * 1'), defaultConfig()), { invalid: /matches no task in the config \(it defines no scheduled task\)\. Give a task schedule: "0 3 \* \* 1" under tasks:/ });
  });

  it.each<[string, Record<string, string>, Expect & { configured?: object; adhocName?: string }]>([
    ['a configured task', { task: 'manual' }, { className: 'docs', budget: 30_000 }],
    ['a configured task with a budget input', { task: 'weekly-a', budget: '250k' }, { className: 'migration', budget: 250_000 }],
    ['an unknown task', { task: 'nope' }, { invalid: /workflow_dispatch asked for task 'nope', which the config does not define \(tasks: weekly-a, weekly-b, manual\)/ }],
    ['an ad-hoc prompt', { prompt: 'Do X' }, { className: 'fix', budget: 50_000, instructions: 'Do X' }],
    ['an ad-hoc prompt and class', { prompt: 'Do X', class: 'explore' }, { className: 'explore', budget: 150_000 }],
    ['an ad-hoc prompt, class and budget', { prompt: 'Do X', class: 'refactor', budget: '30k' }, { className: 'refactor', budget: 30_000 }],
    ['an ad-hoc prompt with an unknown class', { prompt: 'Do X', class: 'nope' }, { invalid: /workflow_dispatch input class='nope' is not a class/ }],
    ['a budget below the minimum', { prompt: 'Do X', budget: '5k' }, { invalid: /The dispatch input budget='5k' asks for 5,000 tokens/ }],
    ['neither task nor prompt', {}, { skip: /workflow_dispatch gave neither a 'task' nor a 'prompt' input/ }],
    ['a blank prompt', { prompt: '   ' }, { skip: /neither a 'task' nor a 'prompt'/ }],
  ])('dispatch: %s', (_what, inputs, expected) => {
    check(intents(T.dispatch(inputs), CONFIG), expected);
  });

  it('dispatch: the ad-hoc name becomes a safe branch suffix', () => {
    const [a] = intents(T.dispatch({ prompt: 'x', name: '  My Task!! / ../etc ' }), CONFIG) as Intent[];
    expect(a.adhocName).toBe('My-Task-.-etc'); // '..' is not allowed in a git ref
    for (const [name, want] of [['x.lock', 'x'], ['x.', 'x'], ['.hidden', 'hidden'], ['a..b', 'a.b'], ['a.lock-', 'a']]) {
      expect((intents(T.dispatch({ prompt: 'x', name }), CONFIG) as Intent[])[0].adhocName).toBe(want);
    }
    const [b] = intents(T.dispatch({ prompt: 'x', name: '!!!' }), CONFIG) as Intent[];
    expect(b.adhocName).toBeUndefined();
    const [c] = intents(T.dispatch({ prompt: 'x', name: 'a'.repeat(60) }), CONFIG) as Intent[];
    expect(c.adhocName).toHaveLength(40);
  });

  it('dispatch: a configured task keeps its prompt as the goal', () => {
    const [i] = intents(T.dispatch({ task: 'manual' }), CONFIG) as Intent[];
    expect(i.configured).toEqual({ name: 'manual', prompt: 'Write docs.' });
  });
});
