import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig } from '../../src/config/load-config.js';
import { intentsFor } from '../../src/trigger/intent.js';

const FILE = '.github/taskcap.yml';
const parse = (text: string) => parseConfig(text, FILE);
function problems(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message.split('\n- ').slice(1);
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}
const task = (body: string) => `tasks:\n  esm:\n${body}`;

describe('fan-out task config', () => {
  it('reads the contract example: a migration and a sweep', () => {
    const c = parse(
      task(`    class: migration
    schedule: "0 3 * * 1"
    prompt: "Convert these files from CommonJS to ESM."
    units: { files: "src/**/*.js", containing: "require(" }
    shard: { size: 10, max-shards: 8, budget: 60k }
    pool:  { tokens: 600k, max-cost-usd: 20 }
  backlog:
    sweep: { label: "agent:queue", max-issues: 6 }
    pool:  { tokens: 300k }
`),
    );
    expect(c.tasks.esm.fanout).toEqual({
      units: { kind: 'files', files: ['src/**/*.js'], containing: 'require(', exclude: [] },
      shard: { size: 10, maxShards: 8, budget: 60_000, maxAttempts: 3 },
      pool: { tokens: 600_000, maxCostUsd: 20 },
      maxUnits: 10_000,
    });
    expect(c.tasks.backlog).toEqual({
      class: 'fix',
      prompt: '',
      fanout: { sweep: { label: 'agent:queue', maxIssues: 6 }, shard: { size: 10, maxShards: 8, budget: 50_000, maxAttempts: 3 }, pool: { tokens: 300_000 }, maxUnits: 10_000 },
    });
  });

  it('defaults: the shard budget is the class budget, the pool is every shard at full budget', () => {
    const c = parse(task('    class: refactor\n    prompt: p\n    units: { command: "ls src" }\n'));
    expect(c.tasks.esm.fanout).toMatchObject({ units: { kind: 'command', command: 'ls src' }, shard: { budget: 40_000, maxShards: 8 }, pool: { tokens: 320_000 } });
  });

  it.each([
    ['units and sweep together', '    class: fix\n    units: { files: "a" }\n    sweep: { label: x }\n', /tasks\.esm: a task has either units \(a migration\) or sweep/],
    ['shard without units', '    class: fix\n    prompt: p\n    shard: { size: 2 }\n', /tasks\.esm: shard and pool need a work list: add units/],
    ['two unit sources', '    class: fix\n    prompt: p\n    units: { files: "a", command: "ls" }\n', /tasks\.esm\.units: give exactly one of files .* got files and command/],
    ['containing with a command', '    class: fix\n    prompt: p\n    units: { command: "ls", containing: "x" }\n', /tasks\.esm\.units\.containing: only works with files/],
    ['a glob outside the repository', '    class: fix\n    prompt: p\n    units: { files: "../x/*.js" }\n', /tasks\.esm\.units\.files: '\.\.\/x\/\*\.js' must be a glob inside the repository/],
    ['an unknown units key', '    class: fix\n    prompt: p\n    units: { files: "a", glob: "b" }\n', /tasks\.esm\.units\.glob: unknown key 'glob'/],
    ['size 0', '    class: fix\n    prompt: p\n    units: { files: "a" }\n    shard: { size: 0 }\n', /tasks\.esm\.shard\.size: '0' must be a whole number from 1 to 1,000/],
    ['more shards than a matrix runs', '    class: fix\n    prompt: p\n    units: { files: "a" }\n    shard: { max-shards: 300 }\n', /tasks\.esm\.shard\.max-shards: '300' must be a whole number from 1 to 256/],
    ['a shard budget below the minimum', '    class: fix\n    prompt: p\n    units: { files: "a" }\n    shard: { budget: 5k }\n', /tasks\.esm\.shard\.budget: '5k' is below 20,000 tokens/],
    ['a pool in words', '    class: fix\n    prompt: p\n    units: { files: "a" }\n    pool: { tokens: lots }\n', /tasks\.esm\.pool\.tokens: 'lots' is not a whole number of tokens/],
    ['pool dollars at zero', '    class: fix\n    prompt: p\n    units: { files: "a" }\n    pool: { tokens: 100k, max-cost-usd: 0 }\n', /tasks\.esm\.pool\.max-cost-usd: '0' must be a positive number of US dollars/],
    ['a sweep with two labels', '    sweep: { label: "a,b" }\n', /tasks\.esm\.sweep\.label: 'a,b' must be one label name/],
    ['a sweep with a prompt', '    prompt: p\n    sweep: { label: q }\n', /tasks\.esm\.prompt: a sweep works each issue as written/],
    ['discover not true', '    class: fix\n    prompt: p\n    units: { discover: yes please }\n', /tasks\.esm\.units\.discover: 'yes please' must be true/],
  ])('%s: an error that names the key, quotes the value and says the fix', (_name, body, message) => {
    expect(problems(task(body)).join('\n')).toMatch(message);
  });

  it('a shard budget above max-budget is refused', () => {
    expect(problems(`max-budget: 100k\n${task('    class: fix\n    prompt: p\n    units: { files: "a" }\n    shard: { budget: 150k }\n')}`).join('\n')).toMatch(
      /tasks\.esm\.shard\.budget: 150,000 is above max-budget \(100,000\)/,
    );
  });
});

describe('run mode leaves fan-out tasks to their modes', () => {
  const config = parse(task('    class: migration\n    schedule: "0 3 * * 1"\n    prompt: p\n    units: { files: "src/**" }\n'));
  it('a schedule does not run a fan-out task as one task', () => {
    expect(intentsFor({ kind: 'schedule', cron: '0 3 * * 1' }, config)).toMatchObject({ kind: 'skip', reason: expect.stringContaining('those run with mode: plan, shard and collect') });
  });
  it('a dispatch of a fan-out task in run mode says how to run it', () => {
    expect(intentsFor({ kind: 'dispatch', inputs: { task: 'esm' }, sender: { login: 'a' } }, config)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('mode: plan') });
  });
});
