import { describe, expect, it } from '@jest/globals';
import { BUILT_IN_CLASSES } from '../../src/config/classes.js';
import { defaultConfig } from '../../src/config/config.js';
import { parseBudget } from '../../src/config/classes.js';
import { ConfigError, parseConfig } from '../../src/config/load-config.js';
import { UserError } from '../../src/util/errors.js';

const FILE = '.github/taskcap.yml';
const parse = (text: string) => parseConfig(text, FILE);
/** The config's error text, one problem per entry. */
function problems(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(UserError);
    const [head, ...rest] = (e as Error).message.split('\n- ');
    expect(head).toMatch(new RegExp(`^The taskcap config '${FILE.replace(/\./g, '\\.')}' \\(read from the default branch\\) has (a problem|\\d+ problems):$`));
    return rest;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('the built-in classes (contract v1)', () => {
  it.each([
    ['fix', 50_000, 'high', 'agent:fix', 'patch'],
    ['refactor', 40_000, 'medium', 'agent:refactor', 'patch'],
    ['feature', 80_000, 'high', 'agent:feature', 'patch'],
    ['migration', 200_000, 'high', 'agent:migrate', 'patch'],
    ['explore', 150_000, 'high', 'agent:explore', 'report'],
    ['research', 250_000, 'high', 'agent:research', 'report'],
    ['review', 40_000, 'medium', undefined, 'patch'],
  ])('%s: %d tokens, effort %s, label %s, output %s', (name, budget, effort, label, output) => {
    const c = defaultConfig();
    expect(c.classes[name]).toEqual({ budget, effort, output, ...(label ? { label } : {}) });
    if (label) expect(c.labels[label]).toBe(name);
  });

  it('has exactly these classes and labels, no tasks, no model', () => {
    const c = defaultConfig();
    expect(Object.keys(c.classes).sort()).toEqual(['explore', 'feature', 'fix', 'migration', 'refactor', 'research', 'review']);
    expect(Object.keys(c.labels).sort()).toEqual(['agent:explore', 'agent:feature', 'agent:fix', 'agent:migrate', 'agent:refactor', 'agent:research']);
    expect([c.tasks, c.pricing, c.model, c.maxBudget]).toEqual([{}, {}, undefined, undefined]);
  });

  it.each(['', '# only a comment\n', '---\n', '~\n'])('an empty file (%j) means the defaults', (text) => {
    expect(parse(text)).toEqual(defaultConfig());
  });
});

describe('merging over the defaults', () => {
  it('a class budget keeps its effort, label and output; other classes are untouched', () => {
    const c = parse('classes:\n  fix: { budget: 60000 }\n');
    expect(c.classes.fix).toEqual({ budget: 60_000, effort: 'high', label: 'agent:fix', output: 'patch' });
    expect(c.classes.feature).toEqual(defaultConfig().classes.feature);
    expect(c.labels).toEqual(defaultConfig().labels);
  });

  it('a class effort keeps its budget', () => {
    expect(parse('classes:\n  refactor: { effort: low }\n').classes.refactor).toMatchObject({ budget: 40_000, effort: 'low' });
  });

  it('budgets may be written 60k, "60k", 60000 or 1500k, not 1.5m', () => {
    const c = parse('classes:\n  fix: { budget: 60k }\n  refactor: { budget: "25K" }\n  feature: { budget: 90000 }\n  research: { budget: 1500k }\n');
    expect([c.classes.fix.budget, c.classes.refactor.budget, c.classes.feature.budget, c.classes.research.budget]).toEqual([60_000, 25_000, 90_000, 1_500_000]);
    expect(() => parse('classes:\n  research: { budget: 1.5m }\n')).toThrow(`classes.research.budget: '1.5m' is not a whole number of tokens ("m" is not a unit: write millions in thousands, like 1500k).`);
  });

  it('exactly 20,000 (the API minimum) is accepted', () => {
    expect(parse('classes:\n  fix: { budget: 20000 }\n').classes.fix.budget).toBe(20_000);
    expect(parse('classes:\n  fix: { budget: 20k }\n').classes.fix.budget).toBe(20_000);
  });

  it('model, per-class model and max-cost-usd, max-budget', () => {
    const c = parse('model: claude-opus-4-8\nmax-budget: 300k\nmax-cost-usd: 5\nclasses:\n  research: { model: claude-fable-5, max-cost-usd: 2.5 }\n');
    expect(c.model).toBe('claude-opus-4-8');
    expect(c.maxBudget).toBe(300_000);
    expect(c.maxCostUsd).toBe(5);
    expect(c.classes.research).toMatchObject({ model: 'claude-fable-5', maxCostUsd: 2.5, budget: 250_000 });
  });

  it('extra labels map to classes alongside the defaults', () => {
    const c = parse('labels:\n  "good first bot": refactor\n  "bug": fix\n');
    expect(c.labels).toEqual({ ...defaultConfig().labels, 'good first bot': 'refactor', bug: 'fix' });
  });

  it('a default label can be re-pointed at another class', () => {
    expect(parse('labels:\n  "agent:fix": refactor\n').labels['agent:fix']).toBe('refactor');
  });

  it("a class's own `label` replaces its default label", () => {
    const c = parse('classes:\n  fix: { label: "bug:fix" }\n');
    expect(c.labels['bug:fix']).toBe('fix');
    expect(c.labels['agent:fix']).toBeUndefined();
    expect(c.classes.fix.label).toBe('bug:fix');
  });

  it('a custom class with budget and effort, its own label, an extra label mapping and a task', () => {
    const c = parse(
      [
        'classes:',
        '  docs: { budget: 30000, effort: low, label: "agent:docs" }',
        '  audit: { budget: 120k, effort: xhigh, output: report }',
        'labels:',
        '  "documentation": docs',
        'tasks:',
        '  weekly-docs: { class: docs, schedule: " 0 3 * * 1 ", prompt: "Refresh the docs." }',
        '  on-demand: { class: audit, prompt: "Audit." }',
        '',
      ].join('\n'),
    );
    expect(c.classes.docs).toEqual({ budget: 30_000, effort: 'low', label: 'agent:docs', output: 'patch' });
    expect(c.classes.audit).toEqual({ budget: 120_000, effort: 'xhigh', output: 'report' });
    expect(c.labels['agent:docs']).toBe('docs');
    expect(c.labels.documentation).toBe('docs');
    expect(c.labels['agent:fix']).toBe('fix');
    expect(c.tasks).toEqual({
      'weekly-docs': { class: 'docs', schedule: '0 3 * * 1', prompt: 'Refresh the docs.' },
      'on-demand': { class: 'audit', prompt: 'Audit.' },
    });
  });

  it('pricing for a model: all five prices', () => {
    const c = parse('pricing:\n  my-model: { input: 1, cache-write-5m: 1.25, cache-write-1h: 2, cache-read: 0.1, output: 5 }\n');
    expect(c.pricing['my-model']).toEqual({ input: 1, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1, output: 5 });
  });

  it('never changes the built-in table', () => {
    parse('classes:\n  fix: { budget: 99000, effort: low, label: "x" }\n');
    expect(BUILT_IN_CLASSES.fix).toEqual({ budget: 50_000, effort: 'high', label: 'agent:fix', output: 'patch' });
    expect(defaultConfig().labels['agent:fix']).toBe('fix');
  });
});

describe('validation: every error names the key, quotes the value and says the fix', () => {
  it.each<[string, string, (string | RegExp)[]]>([
    ['malformed YAML', 'classes: {fix: [\n', [/^is not valid YAML: .*line 2.*Check the indentation and quoting around line 2\.$/]],
    ['tabs', 'classes:\n\tfix: {}\n', [/^is not valid YAML: Tabs are not allowed/]],
    ['a duplicate top-level key', 'model: claude-opus-4-7\nmodel: claude-opus-4-8\n', ["is not valid YAML: Map keys must be unique at line 2, column 1 ('model: claude-opus-4-8'). Check the indentation and quoting around line 2."]],
    ['a duplicate nested key', 'classes:\n  fix:\n    budget: 60000\n    budget: 70000\n', [/Map keys must be unique at line 4, column 5 \('budget: 70000'\)/]],
    ['an unknown top-level key', 'clases: {}\n', [/^clases: unknown key 'clases' \(did you mean 'classes'\?\)\. Allowed keys: model, classes, labels, tasks, pricing, max-budget, max-cost-usd\b.*\.$/]],
    ['an unknown class key', 'classes:\n  fix: { budjet: 1 }\n', [/^classes\.fix\.budjet: unknown key 'budjet' \(did you mean 'budget'\?\)\. Allowed keys: budget, effort, label, model, max-cost-usd, output\.$/]],
    ['an unknown task key', 'tasks:\n  t: { class: fix, prompt: p, cron: "0 3 * * 1" }\n', [/^tasks\.t\.cron: unknown key 'cron'\. Allowed keys: class, schedule, prompt, units, shard, pool, sweep\.$/]],
    ['an unknown pricing key', 'pricing:\n  m: { input: 1, cache-write-5m: 1, cache-write-1h: 1, cache-read: 1, output: 1, extra: 2 }\n', [/^pricing\.m\.extra: unknown key 'extra'/]],
    ['a budget of 19999', 'classes:\n  fix: { budget: 19999 }\n', ["classes.fix.budget: '19999' is below 20,000 tokens, the smallest task budget the API accepts. Use 20000 or more."]],
    ['a budget of "19k"', 'classes:\n  fix: { budget: "19k" }\n', [/^classes\.fix\.budget: '19k' is below 20,000 tokens/]],
    ['a budget that is not a number', 'classes:\n  fix: { budget: lots }\n', [`classes.fix.budget: 'lots' is not a whole number of tokens. Example: budget: 60000 (or "60k").`]],
    ['a fractional budget', 'classes:\n  fix: { budget: 60000.5 }\n', [/^classes\.fix\.budget: '60000\.5' is not a whole number/]],
    ['a max-budget below 20,000', 'max-budget: 10000\n', [/^max-budget: '10000' is below 20,000 tokens/]],
    ['an unknown effort', 'classes:\n  fix: { effort: extreme }\n', ["classes.fix.effort: 'extreme' is not an effort level. Use one of: low, medium, high, xhigh, max."]],
    ['an unknown output', 'classes:\n  fix: { output: pr }\n', ["classes.fix.output: 'pr' must be patch or report."]],
    ['an empty class label', 'classes:\n  fix: { label: "" }\n', [/^classes\.fix\.label: '' must be a label name such as agent:fix\.$/]],
    ['a bad class name', 'classes:\n  Big_Docs: { budget: 30000, effort: low }\n', [/^classes\.Big_Docs: class names are lowercase words/]],
    ['a class that is not a mapping', 'classes:\n  fix: 60000\n', [/^classes\.fix: must be a mapping such as \{ budget: 60000, effort: high \}, got '60000'\.$/]],
    ['a new class without effort', 'classes:\n  docs: { budget: 30000 }\n', ['classes.docs: a new class needs both budget and effort, e.g. docs: { budget: 40000, effort: medium }.']],
    ['a new class without budget', 'classes:\n  docs: { effort: low }\n', [/^classes\.docs: a new class needs both budget and effort/]],
    ['an unknown class in labels', 'labels:\n  "agent:docs": docs\n', ["labels.agent:docs: 'docs' is not a class. Known classes: fix, refactor, feature, migration, explore, research, review."]],
    ['labels that are not a mapping', 'labels: [a, b]\n', [/^labels: must map a label to a class, e\.g\. labels: \{ "agent:docs": refactor \}; got '\["a","b"\]'\.$/]],
    ['an unknown class in tasks', 'tasks:\n  nightly: { class: nope, prompt: x }\n', [/^tasks\.nightly\.class: 'nope' is not a class\. Known classes: fix,/]],
    ['a task without a prompt', 'tasks:\n  nightly: { class: fix }\n', [/^tasks\.nightly\.prompt: the task needs a prompt/]],
    ['a bad cron', 'tasks:\n  nightly: { class: fix, prompt: x, schedule: "every monday" }\n', [`tasks.nightly.schedule: 'every monday' is not a cron expression with 5 fields; it must equal the workflow's schedule, e.g. "0 3 * * 1".`]],
    ['a cron with 6 fields', 'tasks:\n  nightly: { class: fix, prompt: x, schedule: "0 0 3 * * 1" }\n', [/^tasks\.nightly\.schedule: '0 0 3 \* \* 1' is not a cron expression/]],
    ['a task name that cannot be a branch', 'tasks:\n  "a b": { class: fix, prompt: x }\n', [/^tasks\.a b: task names are letters, digits/]],
    ['a task name with ".." (not a valid branch)', 'tasks:\n  a..b: { class: fix, prompt: x }\n', [/^tasks\.a\.\.b: task names are letters, digits/]],
    ['a task name ending in ".lock"', 'tasks:\n  a.lock: { class: fix, prompt: x }\n', [/^tasks\.a\.lock: task names are letters, digits/]],
    ['a task name ending in "."', 'tasks:\n  "a.": { class: fix, prompt: x }\n', [/^tasks\.a\.: task names are letters, digits/]],
    ['a bad model id', 'model: "claude opus"\n', ["model: 'claude opus' is not a model id. Example: model: claude-opus-4-7"]],
    ['a bad max-cost-usd', 'max-cost-usd: -1\n', ["max-cost-usd: '-1' must be a positive number of US dollars, e.g. 2.50."]],
    ['a missing price', 'pricing:\n  m: { input: 1, cache-write-5m: 1, cache-write-1h: 1, cache-read: 1 }\n', [/^pricing\.m\.output: is missing; give the price in USD per million tokens/]],
    ['a class budget above max-budget', 'max-budget: 100000\n', [/^classes\.migration\.budget: 200000 is above max-budget \(100000\)/, /^classes\.explore\.budget: 150000 is above/, /^classes\.research\.budget: 250000 is above/]],
    ['a top level that is a list', '- a\n- b\n', [/^the file must be a mapping of keys \(model, classes, labels, tasks, pricing, max-budget, max-cost-usd\b[^)]*\), got '\["a","b"\]'\.$/]],
    ['a top level that is a scalar', 'hello\n', [/^the file must be a mapping of keys .*got 'hello'\.$/]],
  ])('%s', (_what, text, expected) => {
    const found = problems(text);
    expect(found).toHaveLength(expected.length);
    expected.forEach((e, i) => (typeof e === 'string' ? expect(found[i]).toBe(e) : expect(found[i]).toMatch(e)));
  });

  it('reports every problem at once', () => {
    const found = problems('bogus: 1\nclasses:\n  fix: { budget: 100, effort: huge }\nlabels:\n  x: nope\ntasks:\n  t: { class: fix, prompt: p, schedule: "daily" }\n');
    expect(found).toHaveLength(5);
    expect(found.map((p) => p.split(':')[0])).toEqual(['bogus', 'classes.fix.budget', 'classes.fix.effort', 'labels.x', 'tasks.t.schedule']);
  });
});

describe('parseBudget', () => {
  it.each<[string, number | undefined]>([
    ['60000', 60_000],
    ['60k', 60_000],
    ['60K', 60_000],
    [' 60k ', 60_000],
    ['1.5m', undefined],
    ['5m', undefined],
    ['1500k', 1_500_000],
    ['62.5k', 62_500],
    ['60.5', undefined],
    ['60k tokens', undefined],
    ['60,000', undefined],
    ['2.5k', 2_500],
    ['0', 0],
    ['', undefined],
    ['k', undefined],
    ['60kb', undefined],
    ['-60k', undefined],
    ['1e5', undefined],
    ['60 000', undefined],
    ['sixty', undefined],
  ])('%j → %p', (text, n) => {
    expect(parseBudget(text)).toBe(n);
  });
});

describe('instructions: the files read for the repository context', () => {
  it('is absent by default (AGENTS.md, CLAUDE.md, .github/copilot-instructions.md are read), a list when set, none for []', () => {
    expect(parse('model: claude-opus-4-7\n').instructions).toBeUndefined();
    expect(parse('instructions: [docs/agents.md, AGENTS.md, docs/agents.md]\n').instructions).toEqual(['docs/agents.md', 'AGENTS.md']);
    expect(parse('instructions: []\n').instructions).toEqual([]);
  });

  it('names each path that is not a file inside the repository, and a value that is not a list', () => {
    expect(problems('instructions: [../secrets.md, /etc/passwd, docs/, ok.md]\n')).toEqual([
      "instructions: '../secrets.md' is not a file path inside the repository (relative, no '..'), e.g. instructions: [AGENTS.md, docs/agents.md] (or [] to read none).",
      "instructions: '/etc/passwd' is not a file path inside the repository (relative, no '..'), e.g. instructions: [AGENTS.md, docs/agents.md] (or [] to read none).",
      "instructions: 'docs/' is not a file path inside the repository (relative, no '..'), e.g. instructions: [AGENTS.md, docs/agents.md] (or [] to read none).",
    ]);
    expect(problems('instructions: AGENTS.md\n')).toEqual([
      "instructions: 'AGENTS.md' must be a list of files in the repository, e.g. instructions: [AGENTS.md, docs/agents.md] (or [] to read none).",
    ]);
  });
});
