import type { Inputs } from '../action/inputs.js';
import type { TaskcapConfig } from './config.js';
import { effortFor, type Effort, type ModelSpec } from './models.js';
import type { RunProvider } from '../agent/providers/run-provider.js';
import { providerRegion } from '../agent/providers/run-provider.js';
import { resolveModel } from './resolve-model.js';

/** What a task runs with, once inputs, the repository config and the class have been combined. */
export interface TaskSettings {
  model: ModelSpec;
  /** The class's effort, lowered to what the model accepts (none for a model without effort). */
  effort?: Effort;
  maxCostUsd?: number;
}

/**
 * One precedence for every setting: the most specific source wins. A class in the config file over the config
 * file's top level, over the workflow's input, over the built-in default. (The config lives on the default branch
 * and is the repository's policy; the input is the workflow's.) Unknown models fail here, before any request.
 */
export function resolveSettings(className: string, config: TaskcapConfig, inputs: Pick<Inputs, 'model' | 'maxCostUsd'>, provider?: Pick<RunProvider, 'plan'>): TaskSettings {
  const spec = config.classes[className];
  // The provider names models its own way (regional prefixes, deployments): the id is read in its terms.
  const model = resolveModel(spec.model ?? config.model ?? inputs.model, config, provider?.plan.provider, provider && providerRegion(provider.plan));
  return { model, effort: effortFor(model, spec.effort), maxCostUsd: spec.maxCostUsd ?? config.maxCostUsd ?? inputs.maxCostUsd };
}

/** The monthly cap, by the same precedence (no class can set it). */
export function monthlyCapOf(config: TaskcapConfig, inputs: Pick<Inputs, 'maxMonthlyCostUsd'>): number | undefined {
  return config.maxMonthlyCostUsd ?? inputs.maxMonthlyCostUsd;
}
