import { describe, expect, it } from '@jest/globals';
import { parseInputs } from '../../src/inputs.js';

const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

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
    });
  });

  it.each([
    ['max-cost-usd', 'five dollars', /Input 'max-cost-usd' must be a positive number, got 'five dollars'/],
    ['max-cost-usd', '-1', /Input 'max-cost-usd' must be a positive number, got '-1'/],
    ['timeout-minutes', '0', /Input 'timeout-minutes' must be a positive number, got '0'/],
    ['dry-run', 'yes', /Input 'dry-run' must be true or false, got 'yes'/],
    ['model', 'claude opus; rm -rf', /Input 'model' is not a model id, got 'claude opus; rm -rf'/],
  ])('rejects %s=%s with an error that names the input and quotes the value', (name, value, message) => {
    expect(() => parseInputs(get({ [name]: value }))).toThrow(message);
  });
});
