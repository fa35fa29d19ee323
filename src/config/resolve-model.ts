import type { TaskcapConfig } from './config.js';
import { BUILT_IN_MODELS, unknownModelSpec, type ModelSpec } from './models.js';
import { closest } from '../util/did-you-mean.js';
import { NoticeError } from '../util/errors.js';

/**
 * The model's spec with any `pricing:` override from the repo config. Unknown models need prices: no guessing.
 * `where` names the setting the id came from (`the 'model' input`, `model in .github/taskcap.yml`), for the error.
 */
export function resolveModel(id: string, config: TaskcapConfig, where?: string): ModelSpec {
  const known = BUILT_IN_MODELS.get(id);
  const override = config.pricing[id];
  if (known) return override ? { ...known, pricing: { base: override } } : known;
  if (override) return unknownModelSpec(id, { base: override });
  throw new UnknownModelError(id, where);
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

export class UnknownModelError extends NoticeError {
  constructor(id: string, where?: string) {
    const from = where ? ` (${where})` : '';
    const meant = modelMeant(id);
    const prices =
      `If it is a model this version of taskcap does not know yet, or a gateway's own name for one, add its prices (USD per million tokens) ` +
      `to the config file, so taskcap can enforce 'max-cost-usd' and report cost: pricing: { ${id}: { input: 3, cache-write-5m: 3.75, cache-write-1h: 6, cache-read: 0.3, output: 15 } }`;
    super(
      meant?.exact
        ? `Model '${id}'${from} is not a model id taskcap knows. Did you mean '${meant.id}'? Write the id exactly as the API names it, with dashes: model: ${meant.id}`
        : meant
          ? `Model '${id}'${from} is not a model id taskcap knows. Did you mean '${meant.id}'? ${prices}`
          : `Model '${id}'${from} is not a model taskcap knows (for example claude-opus-4-7 or claude-sonnet-4-6). ${prices}`,
      {
        cause: 'setup',
        text:
          `The model taskcap is set to use is not one it knows${meant?.exact ? ' (it looks like a typo)' : ''}, so nothing was started. ` +
          `A maintainer can fix it in the workflow's \`model\` input or in the taskcap config; the run log names the setting and the id to use.`,
      },
    );
  }
}

/** The model a class runs on, and the setting that chose it (a class's `model`, the config's, else the input). */
export function chooseModel(className: string, config: TaskcapConfig, inputs: { model: string; configPath: string }): { id: string; where: string } {
  const own = config.classes[className]?.model;
  if (own) return { id: own, where: `classes.${className}.model in ${inputs.configPath}` };
  if (config.model) return { id: config.model, where: `model in ${inputs.configPath}` };
  return { id: inputs.model, where: "the workflow's 'model' input" };
}
