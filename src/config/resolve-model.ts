import type { ProviderName } from '../agent/providers/provider-name.js';
import { closest } from '../util/did-you-mean.js';
import { NoticeError } from '../util/errors.js';
import type { TaskcapConfig } from './config.js';
import { BUILT_IN_MODELS, unknownModelSpec, type ModelSpec } from './models.js';
import { claudeModelIn, nearestModel, providerModelId } from './provider-models.js';

/** Where a model id is read: on which provider (its own names), in which region, and which setting gave it. */
export interface ModelContext {
  provider?: ProviderName;
  region?: string;
  /** The setting the id came from (`the 'model' input`, `model in .github/taskcap.yml`), for the error. */
  where?: string;
}

/**
 * The model's spec for a provider: the id to send, and the prices and features of the Claude model it names (with
 * any `pricing:` override from the repo config, by the provider's id first, then by the Claude model's). A
 * provider's id is read for the Claude model inside it, or mapped by the config's `models:`; a first-party id is
 * turned into the provider's form. Unknown models need prices: no guessing.
 */
export function resolveModel(id: string, config: TaskcapConfig, context: ModelContext = {}): ModelSpec {
  const provider = context.provider ?? 'anthropic';
  const specOf = (claude: string, wire: string): ModelSpec => {
    const known = BUILT_IN_MODELS.get(claude);
    const override = config.pricing[wire] ?? config.pricing[claude];
    const base = known ? (override ? { ...known, pricing: { base: override } } : known) : unknownModelSpec(claude, { base: override! });
    return wire === claude ? base : { ...base, id: wire, claudeModel: claude };
  };
  const priced = (m: string) => BUILT_IN_MODELS.has(m) || config.pricing[m] !== undefined;

  const mapped = config.models[id];
  if (mapped !== undefined && priced(mapped)) return specOf(mapped, id);
  if (BUILT_IN_MODELS.has(id)) return specOf(id, providerModelId(provider, id, context.region));
  if (config.pricing[id]) return unknownModelSpec(id, { base: config.pricing[id] });
  if (provider !== 'anthropic') {
    const inside = claudeModelIn(id, [...BUILT_IN_MODELS.keys(), ...Object.keys(config.pricing)]);
    if (inside) return specOf(inside, id);
  }
  throw new UnknownModelError(id, config, provider, context.where);
}

/**
 * The id a slip most likely stands for: `claude-opus-4.7`, `Claude-Opus-4-7`, `opus-4-7` and `claude-4-7-opus` are
 * written-differently forms of a known id (`exact`); `claude-sonet-4-6` is only close to one.
 */
export function modelMeant(id: string): { id: string; exact: boolean } | undefined {
  let tidy = id.trim().toLowerCase().replace(/[._\s]+/g, '-');
  if (!tidy.startsWith('claude-')) tidy = `claude-${tidy}`;
  // The older naming put the version first (claude-3-5-sonnet).
  tidy = tidy.replace(/^claude-(\d+(?:-\d+)?)-(opus|sonnet|haiku|fable|mythos)$/, 'claude-$2-$1');
  if (BUILT_IN_MODELS.has(tidy)) return { id: tidy, exact: true };
  const near = closest(tidy, BUILT_IN_MODELS.keys());
  return near ? { id: near, exact: false } : undefined;
}

/** A model id taskcap cannot price: the log says which setting, what was probably meant and how to add prices. */
export class UnknownModelError extends NoticeError {
  constructor(id: string, config: TaskcapConfig, provider: ProviderName, where?: string) {
    const from = where ? ` (${where})` : '';
    const slip = provider === 'anthropic' ? modelMeant(id) : undefined;
    const near = slip?.id ?? nearestModel(id, [...BUILT_IN_MODELS.keys(), ...Object.keys(config.pricing), ...Object.keys(config.models)]);
    const known = provider === 'anthropic' ? '' : " (or the provider's id for it, such as us.anthropic.claude-opus-4-7 on Bedrock)";
    const mapHint = provider === 'anthropic' ? '' : ` If '${id}' is a deployment or profile name, say which Claude model it serves in the config file: models: { ${id}: claude-opus-4-7 }.`;
    const prices =
      `If it is a model this version of taskcap does not know yet, or a gateway's own name for one, add its prices (USD per million tokens) ` +
      `to the config file, so taskcap can enforce 'max-cost-usd' and report cost: pricing: { ${id}: { input: 3, cache-write-5m: 3.75, cache-write-1h: 6, cache-read: 0.3, output: 15 } }.${mapHint}`;
    super(
      slip?.exact
        ? `Model '${id}'${from} is not a model id taskcap knows. Did you mean '${slip.id}'? Write the id exactly as the API names it, with dashes: model: ${slip.id}`
        : near
          ? `Model '${id}'${from} is not a model id taskcap knows. Did you mean '${near}'? Use a known model id${known}. ${prices}`
          : `Model '${id}'${from} is not a model taskcap knows (for example claude-opus-4-7 or claude-sonnet-4-6)${known}. ${prices}`,
      {
        cause: 'setup',
        text:
          `The model taskcap is set to use is not one it knows${slip?.exact ? ' (it looks like a typo)' : ''}, so nothing was started. ` +
          `A maintainer can fix it in the workflow's \`model\` input or in the taskcap config; the run log names the setting and the id to use.`,
      },
    );
  }
}
