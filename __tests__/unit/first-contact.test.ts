// Issue 16, the pure parts: what a new user's slips are read as, and what the messages say to do about them.
import { describe, expect, it } from '@jest/globals';
import { budgetCeiling, defaultConfig } from '../../src/config/config.js';
import { parseConfig } from '../../src/config/load-config.js';
import { modelMeant, resolveModel } from '../../src/config/resolve-model.js';
import { explainGitError, publishFailure } from '../../src/publish/explain-git-error.js';
import { noticeBody, whereAsked } from '../../src/publish/user-notice.js';
import { sameRepository } from '../../src/publish/workspace-check.js';
import { parseAgentCommand } from '../../src/trigger/command.js';
import { sameSchedule } from '../../src/trigger/cron-match.js';
import type { Invalid } from '../../src/decision.js';
import { classWords, intentsFor } from '../../src/trigger/intent.js';
import type { Trigger } from '../../src/trigger/route-event.js';
import { closest, editDistance } from '../../src/util/did-you-mean.js';

const dflt = defaultConfig();
const sender = { login: 'alice', type: 'User' };
const issue = (labels: string[]) => ({ number: 4, title: 'T', body: 'B', state: 'open', labels, isPull: false });
const labeled = (label: string, labels: string[] = [label]): Trigger => ({ kind: 'issue-label', issue: issue(labels), label, sender });
const commented = (body: string, labels: string[] = []): Trigger => ({ kind: 'issue-comment', issue: issue(labels), comment: { id: 1, body }, sender });
const invalid = (r: ReturnType<typeof intentsFor>) => {
  expect(r.kind).toBe('invalid');
  return r as Invalid;
};

describe('did you mean', () => {
  it.each([
    ['fixx', 'fix', 1],
    ['reveiw', 'review', 1],
    ['agent:migration', 'agent:migrate', 3],
    ['claude-opus-4.7', 'claude-opus-4-7', 1],
    ['FIX', 'fix', 0],
  ])('%s → %s is %d slips', (a, b, n) => expect(editDistance(a, b)).toBe(n));

  it('reads a slip as the nearest word, and a different word as none', () => {
    expect(closest('fixx', ['fix', 'refactor'])).toBe('fix');
    expect(closest('featur', ['fix', 'feature'])).toBe('feature');
    // Three letters or fewer never count as a slip: "fit" is a word.
    expect(closest('fit', ['fix'])).toBeUndefined();
    expect(closest('please', ['fix', 'review', 'feature'])).toBeUndefined();
  });
});

describe('/agent: a word that looks like a misspelled class is a question, not a silent fix', () => {
  const words = classWords(dflt);
  it.each<[string, ReturnType<typeof parseAgentCommand>]>([
    ['/agent fixx the redirect', { unclear: { word: 'fixx', kind: 'class', suggestion: 'fix' }, instructions: 'the redirect' }],
    ['/agent reveiw', { unclear: { word: 'reveiw', kind: 'class', suggestion: 'review' }, instructions: '' }],
    ['/agent budget=60k featur', { budgetText: '60k', unclear: { word: 'featur', kind: 'class', suggestion: 'feature' }, instructions: '' }],
    ['/agent budjet=60k', { unclear: { word: 'budjet=60k', kind: 'budget', suggestion: 'budget=60k' }, instructions: '' }],
    // The word of a class's label names it, and punctuation after the class is not part of it.
    ['/agent migrate', { className: 'migration', instructions: '' }],
    ['/agent fix: the redirect', { className: 'fix', instructions: 'the redirect' }],
    ['/agent budget=60k feature', { className: 'feature', budgetText: '60k', instructions: '' }],
    // Ordinary words stay instructions.
    ['/agent please fix the redirect', { instructions: 'please fix the redirect' }],
    ['/agent docs', { instructions: 'docs' }],
    ['/agent export a default too', { instructions: 'export a default too' }],
    ['/agent fixed it?', { instructions: 'fixed it?' }],
  ])('%j', (body, expected) => expect(parseAgentCommand(body, words)).toEqual(expected));

  it('intentsFor: asks, with the class to write and how to give instructions instead', () => {
    const r = invalid(intentsFor(commented('/agent fixx the redirect'), dflt));
    expect(r.reason).toBe("The command's first word 'fixx' is not a taskcap class. Did you mean 'fix'? (classes: fix, refactor, feature, migration, explore, research, review)");
    expect(r.notice).toEqual({
      cause: 'class',
      text:
        '`fixx` is not a taskcap class, so nothing was started. Did you mean `fix`? Comment again starting with `/agent fix`, with what to do on the next lines; ' +
        'if `fixx` was part of the instructions, start with `/agent` alone and put them on the next line. Classes: `fix`, `refactor`, `feature`, `migration`, `explore`, `research`, `review`.',
    });
  });
});

describe('labels meant for taskcap that do not exist', () => {
  it.each<[string, string, RegExp]>([
    ['agent:fixx', "Did you mean 'agent:fix'?", /Did you mean `agent:fix`\? Remove `agent:fixx` and add `agent:fix`\./],
    ['agent:migration', "Did you mean 'agent:migrate'?", /Did you mean `agent:migrate`\? Remove `agent:migration` and add `agent:migrate`\./],
    ['Agent:Fix', "Did you mean 'agent:fix'?", /Did you mean `agent:fix`\?/],
    ['agent:review', "Class 'review' has no label: comment '/agent review' instead.", /Class `review` has no label: comment `\/agent review` instead/],
    ['agent:big', "is not a taskcap label. (taskcap labels: agent:explore", /A maintainer can add a class and its label in the taskcap config\./],
  ])('%s', (label, log, notice) => {
    const r = invalid(intentsFor(labeled(label), dflt));
    expect(r.reason).toContain(`Label '${label}' on issue #4 is not a taskcap label.`);
    expect(r.reason).toContain(log);
    expect(r.notice?.cause).toBe('label');
    expect(r.notice?.text).toMatch(notice);
    expect(r.notice?.text).toMatch(/taskcap's labels here: `agent:explore`, `agent:feature`, `agent:fix`, `agent:migrate`, `agent:refactor`, `agent:research`\.$/);
  });

  it('a label that is none of taskcap’s business is still skipped without a word', () => {
    expect(intentsFor(labeled('bug'), dflt)).toMatchObject({ kind: 'skip' });
    expect(intentsFor(labeled('good first issue'), dflt)).toMatchObject({ kind: 'skip' });
  });
});

describe('budgets: strict, and capped by default', () => {
  it('a config without max-budget still has a ceiling: the largest built-in class, or a larger configured class', () => {
    expect(budgetCeiling(dflt)).toEqual({ tokens: 250_000, configured: false });
    expect(budgetCeiling(parseConfig('classes:\n  research: { budget: 400k }\n', 'c.yml'))).toEqual({ tokens: 400_000, configured: false });
    expect(budgetCeiling(parseConfig('max-budget: 300k\n', 'c.yml'))).toEqual({ tokens: 300_000, configured: true });
  });

  it.each<[string, string[], RegExp]>([
    ['budget:5m', ['agent:fix', 'budget:5m'], /^Label 'budget:5m' does not give a budget in tokens; write it like budget:60k or budget:60000, between 20,000 \(budget:20k\) and 250,000 \(budget:250k\)\. "m" is not a unit/],
    ['budget:5000k', ['agent:fix', 'budget:5000k'], /^Label 'budget:5000k' asks for 5,000,000 tokens, above taskcap's built-in max-budget of 250,000 .* Use budget:250k or less\.$/],
    ['budget:60 000', ['agent:fix', 'budget:60 000'], /does not give a budget in tokens/],
  ])('%s is refused with the fix, and the notice says so too', (label, labels, message) => {
    const r = invalid(intentsFor(labeled(label, labels), dflt));
    expect(r.reason).toMatch(message);
    expect(r.notice).toEqual({ cause: 'budget', text: `${r.reason} Nothing was started.` });
  });

  it('within the ceiling, a budget label sets the budget', () => {
    expect(intentsFor(labeled('budget:250k', ['agent:research', 'budget:250k']), dflt)).toMatchObject({ kind: 'go', value: [{ budget: 250_000 }] });
  });
});

describe('schedules written differently', () => {
  it.each([
    ['0 3 * * MON', '0 3 * * 1', true],
    ['0 3 * * 7', '0 3 * * sun', true],
    ['*/15 * * * *', '0,15,30,45 * * * *', true],
    ['0  3 * * 1', '0 3 * * 1', true],
    ['0 3 1-31 * 1', '0 3 * * 1', false],
    ['0 3 * * 1', '0 3 * * 2', false],
    ['0 3 * JAN *', '0 3 * 1 *', true],
  ])('%j and %j: same times %p', (a, b, same) => expect(sameSchedule(a, b)).toBe(same));

  it('a schedule event whose cron means a task’s schedule, written otherwise, is explained', () => {
    const config = parseConfig('tasks:\n  esm-migration: { class: migration, schedule: "0 3 * * 1", prompt: "Convert." }\n', 'c.yml');
    expect(invalid(intentsFor({ kind: 'schedule', cron: '0 3 * * MON' }, config)).reason).toBe(
      "The workflow's schedule '0 3 * * MON' matches no task as written, but task 'esm-migration' has schedule '0 3 * * 1', which means the same time. " +
        "taskcap runs the tasks whose schedule is written exactly like the workflow's cron (the schedule event carries its text): " +
        'write both the same way, e.g. schedule: "0 3 * * MON" for the task, or cron: "0 3 * * 1" in the workflow.',
    );
  });

  it('dispatch: a task or class name with a slip gets a suggestion', () => {
    const config = parseConfig('tasks:\n  esm-migration: { class: migration, prompt: "Convert." }\n', 'c.yml');
    const dispatch = (inputs: Record<string, string>): Trigger => ({ kind: 'dispatch', inputs, sender });
    expect(invalid(intentsFor(dispatch({ task: 'esm-migraton' }), config)).reason).toMatch(/which the config does not define\. Did you mean 'esm-migration'\?/);
    expect(invalid(intentsFor(dispatch({ prompt: 'x', class: 'refactr' }), config)).reason).toMatch(/class='refactr' is not a class\. Did you mean 'refactor'\?/);
  });
});

describe('model ids', () => {
  it.each([
    ['claude-opus-4.7', { id: 'claude-opus-4-7', exact: true }],
    ['Claude-Opus-4-7', { id: 'claude-opus-4-7', exact: true }],
    ['opus-4-7', { id: 'claude-opus-4-7', exact: true }],
    ['claude-4-7-opus', { id: 'claude-opus-4-7', exact: true }],
    ['claude-sonet-4-6', { id: 'claude-sonnet-4-6', exact: false }],
    ['my-gateway-model', undefined],
  ])('%s → %p', (id, meant) => expect(modelMeant(id)).toEqual(meant));

  it('a typo is answered with the id to use, not with a price table to paste', () => {
    expect(() => resolveModel('claude-opus-4.7', dflt, { where: "the workflow's 'model' input" })).toThrow(
      "Model 'claude-opus-4.7' (the workflow's 'model' input) is not a model id taskcap knows. Did you mean 'claude-opus-4-7'? Write the id exactly as the API names it, with dashes: model: claude-opus-4-7",
    );
    expect(() => resolveModel('my-gateway-model', dflt)).toThrow(/add its prices \(USD per million tokens\) to the config file/);
  });
});

describe('git failures, explained', () => {
  const fail = (args: string, stderr: string) => `git ${args} failed (exit 128): ${stderr}`;
  const push = 'push --no-verify --force-with-lease=refs/heads/taskcap/issue-4: origin HEAD:refs/heads/taskcap/issue-4';

  it.each<[string, string, RegExp]>([
    ['bad credentials', fail('ls-remote --heads origin refs/heads/taskcap/issue-4', "fatal: could not read Username for 'https://github.com': terminal prompts disabled"), /^GitHub did not accept taskcap's git credentials for the fetch \(HTTP 401\)\./],
    ['no contents: write', fail(push, "remote: Permission to acme/slugkit.git denied to github-actions[bot].\nfatal: unable to access 'https://github.com/acme/slugkit/': The requested URL returned error: 403"), /^GitHub refused the push \(HTTP 403\): .* Give the job `contents: write` under `permissions:`/],
    ['a protected branch', fail(push, 'remote: error: GH006: Protected branch update failed for refs/heads/taskcap/issue-4.\n ! [remote rejected] HEAD -> taskcap/issue-4 (protected branch hook declined)'), /^GitHub rejected the push to `taskcap\/issue-4`: a branch protection rule or ruleset covers it\. .*exclude `taskcap\/\*\*` from the rule/],
    ['a moved branch', fail(push, ' ! [rejected]        HEAD -> taskcap/issue-4 (stale info)'), /^The branch `taskcap\/issue-4` moved while taskcap worked .* Re-run to continue from its new tip\./],
    ['the network', fail('fetch --no-tags origin', "fatal: unable to access 'https://github.com/acme/slugkit/': Could not resolve host: github.com"), /^The fetch could not reach the git server/],
  ])('%s', (_what, message, explained) => {
    expect(explainGitError(message)).toMatch(explained);
    expect(explainGitError(message)).toMatch(/\(git said: .+\)$/);
  });

  it('credentials in a URL git printed are masked', () => {
    const m = explainGitError(fail('fetch origin', "fatal: Authentication failed for 'https://x-access-token:ghs_secret@github.com/acme/slugkit/'"));
    expect(m).not.toContain('ghs_secret');
    expect(m).toContain("'https://***@github.com/acme/slugkit/'");
  });

  it('a setting to change is not answered with "re-run"; a moved branch is', () => {
    expect(publishFailure(fail(push, 'fatal: The requested URL returned error: 403'))).toMatch(/^Publishing failed\. GitHub refused the push .* This run's commit was not pushed: fix that, then re-run\.$/);
    expect(publishFailure(fail(push, ' ! [rejected] HEAD -> x (stale info)'))).not.toMatch(/fix that/);
    expect(publishFailure('pull request #7 was closed while taskcap worked')).toBe('Publishing failed: pull request #7 was closed while taskcap worked. Re-run to retry; the branch keeps what was pushed.');
  });

  it('anything else is left as it was', () => {
    expect(explainGitError('The taskcap config is broken.')).toBe('The taskcap config is broken.');
  });
});

describe("the workspace's origin", () => {
  const ctx = { owner: 'acme', repo: 'slugkit', serverUrl: 'https://github.com' };
  it.each([
    ['https://github.com/acme/slugkit', true],
    ['https://github.com/Acme/SlugKit.git', true],
    ['https://x-access-token:t@github.com/acme/slugkit', true],
    ['git@github.com:acme/slugkit.git', true],
    ['ssh://git@github.com/acme/slugkit', true],
    ['https://github.com/acme/other', false],
    ['https://github.com/forker/slugkit', false],
    ['https://example.com/acme/slugkit', false],
    ['/home/runner/work/slugkit', false],
  ])('%s is this repository: %p', (url, same) => expect(sameRepository(url, ctx)).toBe(same));
});

describe('the notice', () => {
  it('quotes what was written without pinging anyone or rendering HTML, and links the run', () => {
    const body = noticeBody({ cause: 'budget', text: "Label 'budget:@acme/team<img src=x>' does not give a budget in tokens." }, 'https://github.com/acme/slugkit/actions/runs/7');
    expect(body).toBe(
      "**taskcap did not start.** Label 'budget:@\u200bacme/team&lt;img src=x>' does not give a budget in tokens.\n\n<sub>[Run log](https://github.com/acme/slugkit/actions/runs/7) · taskcap edits this comment rather than adding another when this happens again.</sub>",
    );
  });

  it('goes where a person asked, never to a bot, a schedule or a dispatch', () => {
    expect(whereAsked(labeled('agent:fixx'))).toEqual({ on: 4, login: 'alice' });
    expect(whereAsked({ ...labeled('agent:fixx'), sender: { login: 'renovate[bot]', type: 'Bot' } } as Trigger)).toBeUndefined();
    expect(whereAsked({ kind: 'schedule', cron: '0 3 * * 1' })).toBeUndefined();
    expect(whereAsked({ kind: 'dispatch', inputs: {}, sender })).toBeUndefined();
  });
});
