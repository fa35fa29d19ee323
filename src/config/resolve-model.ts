import type { ProviderName } from '../agent/providers/provider-name.js';
import type { TaskcapConfig } from './config.js';
import { BUILT_IN_MODELS, unknownModelSpec, type ModelSpec } from './models.js';
import { claudeModelIn, nearestModel, providerModelId } from './provider-models.js';
import { UserError } from '../util/errors.js';

/**
 * The model's spec for a provider: the id to send, and the prices and features of the Claude model it names (with
 * any `pricing:` override from the repo config, by the provider's id first, then by the Claude model's). A
 * provider's id is read for the Claude model inside it, or mapped by the config's `models:`; a first-party id is
 * turned into the provider's form. Unknown models need prices: no guessing.
 */
export function resolveModel(id: string, config: TaskcapConfig, provider: ProviderName = 'anthropic', region?: string): ModelSpec {
  const specOf = (claude: string, wire: string): ModelSpec => {
    const known = BUILT_IN_MODELS.get(claude);
    const override = config.pricing[wire] ?? config.pricing[claude];
    const base = known ? (override ? { ...known, pricing: { base: override } } : known) : unknownModelSpec(claude, { base: override! });
    return wire === claude ? base : { ...base, id: wire, claudeModel: claude };
  };
  const priced = (m: string) => BUILT_IN_MODELS.has(m) || config.pricing[m] !== undefined;

  const mapped = config.models[id];
  if (mapped !== undefined && priced(mapped)) return specOf(mapped, id);
  if (BUILT_IN_MODELS.has(id)) return specOf(id, providerModelId(provider, id, region));
  if (config.pricing[id]) return unknownModelSpec(id, { base: config.pricing[id] });
  if (provider !== 'anthropic') {
    const inside = claudeModelIn(id, [...BUILT_IN_MODELS.keys(), ...Object.keys(config.pricing)]);
    if (inside) return specOf(inside, id);
  }
  const near = nearestModel(id, [...BUILT_IN_MODELS.keys(), ...Object.keys(config.pricing), ...Object.keys(config.models)]);
  const didYouMean = near ? ` Did you mean '${near}'?` : '';
  const mapHint = provider === 'anthropic' ? '' : ` If '${id}' is a deployment or profile name, say which Claude model it serves in the config file: models: { ${id}: claude-opus-4-7 }.`;
  throw new UserError(
    `Model '${id}' has no price table, so taskcap cannot enforce 'max-cost-usd' or report cost.${didYouMean} Use a known model id${provider === 'anthropic' ? '' : ' (or the provider\'s id for it, such as us.anthropic.claude-opus-4-7 on Bedrock)'}, or add its prices (USD per million tokens) to the config file: pricing: { ${id}: { input: 3, cache-write-5m: 3.75, cache-write-1h: 6, cache-read: 0.3, output: 15 } }.${mapHint}`,
  );
}
