import { describe, expect, it } from '@jest/globals';
import { defaultConfig } from '../../src/config/config.js';
import { ConfigError, parseConfig } from '../../src/config/load-config.js';
import { BUILT_IN_MODELS } from '../../src/config/models.js';
import { claudeModelIn, nearestModel, providerModelId } from '../../src/config/provider-models.js';
import { resolveModel } from '../../src/config/resolve-model.js';
import { UserError } from '../../src/util/errors.js';

const known = [...BUILT_IN_MODELS.keys()];

describe('the Claude model inside a provider id', () => {
  it.each([
    ['eu.anthropic.claude-opus-4-7', 'claude-opus-4-7'],
    ['us.anthropic.claude-opus-4-8', 'claude-opus-4-8'],
    ['global.anthropic.claude-sonnet-5-5', 'claude-sonnet-5-5'],
    ['anthropic.claude-opus-4-6-v1', 'claude-opus-4-6'],
    ['apac.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5-20250929'],
    ['us.anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5-20251001'],
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-7', 'claude-opus-4-7'],
    ['claude-haiku-4-5@20251001', 'claude-haiku-4-5'],
    ['claude-opus-5-5', 'claude-opus-5-5'],
    ['claude-opus-4-7-prod', 'claude-opus-4-7'],
  ])('%s → %s', (id, model) => expect(claudeModelIn(id, known)).toBe(model));

  it.each([
    // Another model's minor version is not a suffix: claude-opus-5 is not inside claude-opus-5-9.
    'claude-opus-5-9',
    'anthropic.claude-opus-4-77',
    'my-opus-deployment',
    'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4',
    'xclaude-opus-4-7',
  ])('finds none in %s', (id) => expect(claudeModelIn(id, known)).toBeUndefined());
});

describe('a first-party id on each provider', () => {
  it('is the same id on the Claude API and Foundry (deployments are named after their model)', () => {
    expect(providerModelId('anthropic', 'claude-opus-4-7')).toBe('claude-opus-4-7');
    expect(providerModelId('foundry', 'claude-opus-4-7')).toBe('claude-opus-4-7');
  });

  it('is anthropic.<id> on Bedrock for the models without an ARN-versioned id', () => {
    expect(providerModelId('bedrock', 'claude-opus-4-7')).toBe('anthropic.claude-opus-4-7');
    expect(providerModelId('bedrock', 'claude-sonnet-5-5')).toBe('anthropic.claude-sonnet-5-5');
  });

  it("is refused on Bedrock for a legacy model, naming the inference profile for the run's region", () => {
    const message = (region: string) => {
      try {
        providerModelId('bedrock', 'claude-opus-4-6', region);
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return (e as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(message('eu-central-1')).toContain('Set model: eu.anthropic.claude-opus-4-6-v1');
    expect(message('ap-northeast-1')).toContain('Set model: jp.anthropic.claude-opus-4-6-v1');
    expect(message('us-east-2')).toContain('Set model: us.anthropic.claude-opus-4-6-v1');
  });

  it('takes its @date version on Vertex for the 4.5 generation, and stays as it is after', () => {
    expect(providerModelId('vertex', 'claude-haiku-4-5')).toBe('claude-haiku-4-5@20251001');
    expect(providerModelId('vertex', 'claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5@20250929');
    expect(providerModelId('vertex', 'claude-opus-4-7')).toBe('claude-opus-4-7');
  });
});

describe('resolveModel for a provider', () => {
  it('sends the provider id and prices it as the Claude model inside', () => {
    const spec = resolveModel('eu.anthropic.claude-opus-4-7', defaultConfig(), { provider: 'bedrock' });
    expect(spec.id).toBe('eu.anthropic.claude-opus-4-7');
    expect(spec.claudeModel).toBe('claude-opus-4-7');
    expect(spec.pricing).toEqual(BUILT_IN_MODELS.get('claude-opus-4-7')!.pricing);
    expect(spec.taskBudget).toBe(true);
  });

  it('maps a first-party id to the provider form', () => {
    expect(resolveModel('claude-opus-4-7', defaultConfig(), { provider: 'bedrock' }).id).toBe('anthropic.claude-opus-4-7');
    expect(resolveModel('claude-haiku-4-5', defaultConfig(), { provider: 'vertex' }).id).toBe('claude-haiku-4-5@20251001');
    expect(resolveModel('claude-opus-4-7', defaultConfig(), { provider: 'anthropic' })).toBe(BUILT_IN_MODELS.get('claude-opus-4-7'));
  });

  it('reads a deployment name through the config `models:` mapping', () => {
    const config = parseConfig('models:\n  team-opus-prod: claude-opus-4-7\n', 'f.yml');
    const spec = resolveModel('team-opus-prod', config, { provider: 'foundry' });
    expect([spec.id, spec.claudeModel, spec.maxOutputTokens]).toEqual(['team-opus-prod', 'claude-opus-4-7', 128_000]);
  });

  it('prefers a price override for the provider id (regional pricing) over the Claude model', () => {
    const config = parseConfig(
      'pricing:\n  eu.anthropic.claude-opus-4-7: { input: 5.5, cache-write-5m: 6.875, cache-write-1h: 11, cache-read: 0.55, output: 27.5 }\n',
      'f.yml',
    );
    expect(resolveModel('eu.anthropic.claude-opus-4-7', config, { provider: 'bedrock' }).pricing.base.output).toBe(27.5);
    expect(resolveModel('us.anthropic.claude-opus-4-7', config, { provider: 'bedrock' }).pricing.base.output).toBe(25);
  });

  it('keeps the "no price table" error, with a did-you-mean for a near miss and the mapping hint on a cloud', () => {
    const error = (id: string, provider: 'anthropic' | 'bedrock' | 'foundry') => {
      try {
        resolveModel(id, defaultConfig(), { provider });
      } catch (e) {
        return (e as Error).message;
      }
      return 'resolved';
    };
    expect(error('claude-opus-4.7', 'anthropic')).toMatch(/^Model 'claude-opus-4\.7' is not a model id taskcap knows\. Did you mean 'claude-opus-4-7'\?/);
    expect(error('eu.anthropic.claude-sonet-4-6', 'bedrock')).toContain("Did you mean 'claude-sonnet-4-6'?");
    expect(error('my-deployment', 'foundry')).toContain('models: { my-deployment: claude-opus-4-7 }');
    expect(error('my-deployment', 'foundry')).not.toContain('Did you mean');
    // On the Claude API a provider id is not guessed at.
    expect(error('eu.anthropic.claude-opus-4-7', 'anthropic')).toMatch(/is not a model (id )?taskcap knows/);
    expect(error('eu.anthropic.claude-opus-4-7', 'anthropic')).toContain('add its prices');
  });

  it('suggests nothing for an id far from every known one', () => {
    expect(nearestModel('gpt-5', known)).toBeUndefined();
    expect(nearestModel('claude-opus-4-7', known)).toBeUndefined(); // exact is not a near miss
  });
});

describe('config: models and provider ids', () => {
  it('accepts a Bedrock ARN as the model and as a mapping key', () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4';
    const config = parseConfig(`model: ${arn}\nmodels:\n  ${arn}: claude-sonnet-4-6\n`, 'f.yml');
    expect(config.model).toBe(arn);
    expect(resolveModel(arn, config, { provider: 'bedrock' }).claudeModel).toBe('claude-sonnet-4-6');
  });

  it('refuses a mapping to a model without prices, naming the key and the fix', () => {
    expect(() => parseConfig('models:\n  my-deployment: claude-imaginary-9\n', 'f.yml')).toThrow(ConfigError);
    expect(() => parseConfig('models:\n  my-deployment: claude-imaginary-9\n', 'f.yml')).toThrow(/models\.my-deployment: 'claude-imaginary-9' is not a Claude model taskcap has prices for\. Use one of claude-fable-5-2, .*or add its prices under pricing:/);
  });

  it('accepts a mapping to a model priced in the same file', () => {
    const config = parseConfig(
      'pricing:\n  claude-imaginary-9: { input: 1, cache-write-5m: 1.25, cache-write-1h: 2, cache-read: 0.1, output: 5 }\nmodels:\n  my-deployment: claude-imaginary-9\n',
      'f.yml',
    );
    expect(resolveModel('my-deployment', config, { provider: 'foundry' }).pricing.base.output).toBe(5);
  });
});
