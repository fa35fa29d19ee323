import { describe, expect, it } from '@jest/globals';
import { parseInputs } from '../../src/action/inputs.js';

// The runner applies action.yml's defaults; github-token's is the workflow token.
const get = (values: Record<string, string>) => (name: string) => values[name] ?? (name === 'github-token' ? 'ghs_default' : '');

describe('parseInputs', () => {
  it('applies defaults and parses every input', () => {
    const inputs = parseInputs(
      get({ 'anthropic-api-key': 'sk-ant-x', 'github-token': 'ghs_x', 'max-cost-usd': '2.5', 'allowed-bots': 'renovate[bot], dependabot[bot]', 'dry-run': 'TRUE' }),
    );
    expect(inputs).toEqual({
      anthropicApiKey: 'sk-ant-x',
      githubToken: 'ghs_x',
      model: 'claude-opus-4-7',
      configPath: '.github/taskcap.yml',
      testCommand: undefined,
      maxCostUsd: 2.5,
      timeoutMinutes: 30,
      allowedBots: ['renovate[bot]', 'dependabot[bot]'],
      dryRun: true,
      sandbox: 'auto',
      protectedPaths: [],
      allowedEnv: {},
      mode: 'run',
      ledger: false,
      uploadRecord: false,
      reportIssue: undefined,
      maxMonthlyCostUsd: undefined,
      provider: {
        provider: 'anthropic',
        baseUrl: undefined,
        awsRegion: undefined,
        gcpProject: undefined,
        gcpRegion: undefined,
        foundryResource: undefined,
        foundryApiKey: undefined,
        federation: { ruleId: undefined, organizationId: undefined, serviceAccountId: undefined, workspaceId: undefined, audience: undefined },
      },
    });
  });

  it.each([
    ['max-cost-usd', 'five dollars', /Input 'max-cost-usd' must be a positive number, got 'five dollars'/],
    ['max-cost-usd', '-1', /Input 'max-cost-usd' must be a positive number, got '-1'/],
    ['timeout-minutes', '0', /Input 'timeout-minutes' must be a positive number, got '0'/],
    ['dry-run', 'yes', /Input 'dry-run' must be true or false, got 'yes'/],
    ['model', 'claude opus; rm -rf', /Input 'model' is not a model id, got 'claude opus; rm -rf'/],
    ['sandbox', 'maybe', /Input 'sandbox' must be auto, required or off, got 'maybe'/],
    ['allowed-env', 'GITHUB_TOKEN', /Input 'allowed-env' lists 'GITHUB_TOKEN': taskcap never passes its own credentials/],
    ['allowed-env', 'INPUT_ANTHROPIC-API-KEY', /is not an environment variable name/],
    ['allowed-env', 'ANTHROPIC_API_KEY', /never passes its own credentials/],
    ['mode', 'audit', /Input 'mode' must be one of run, report, plan, shard, collect; got 'audit'/],
    ['report-issue', 'latest', /Input 'report-issue' must be an issue number such as 42, got 'latest'/],
    ['max-monthly-cost-usd', '0', /Input 'max-monthly-cost-usd' must be a positive number, got '0'/],
    ['config-path', '../outside.yml', /Input 'config-path' must be a path inside the repository/],
    ['github-token', '', /Input 'github-token' is empty\. It defaults to the workflow's token .* usually a secret that does not exist in this repository .* Remove the input to use the workflow's token, or create the secret\./],
  ])('rejects %s=%s with an error that names the input and quotes the value', (name, value, message) => {
    expect(() => parseInputs(get({ [name]: value }))).toThrow(message);
  });

  it('reads the fan-out inputs: mode shard with its matrix value, mode plan with a task', () => {
    expect(parseInputs(get({ mode: 'shard', shard: 'esm/3/1' }))).toMatchObject({ mode: 'shard', shard: 'esm/3/1', task: undefined });
    expect(parseInputs(get({ mode: 'plan', task: 'esm' }))).toMatchObject({ mode: 'plan', task: 'esm' });
  });

  it('passes only the allow-listed variables, with their values from the step environment', () => {
    const inputs = parseInputs(get({ 'allowed-env': 'NPM_CONFIG_REGISTRY, MISSING' }), { NPM_CONFIG_REGISTRY: 'https://registry.example', SECRET: 'x' });
    expect(inputs.allowedEnv).toEqual({ NPM_CONFIG_REGISTRY: 'https://registry.example' });
  });
});
