import type { TaskcapConfig } from './config.js';
import { BUILT_IN_MODELS, unknownModelSpec, type ModelSpec } from './models.js';
import { UserError } from '../util/errors.js';

/** The model's spec with any `pricing:` override from the repo config. Unknown models need prices: no guessing. */
export function resolveModel(id: string, config: TaskcapConfig): ModelSpec {
  const known = BUILT_IN_MODELS.get(id);
  const override = config.pricing[id];
  if (known) return override ? { ...known, pricing: { base: override } } : known;
  if (override) return unknownModelSpec(id, { base: override });
  throw new UserError(
    `Model '${id}' has no price table, so taskcap cannot enforce 'max-cost-usd' or report cost. Use a known model id, or add its prices (USD per million tokens) to the config file: pricing: { ${id}: { input: 3, cache-write-5m: 3.75, cache-write-1h: 6, cache-read: 0.3, output: 15 } }`,
  );
}
