import type { Inputs } from '../action/inputs.js';
import type { RunProvider } from '../agent/providers/run-provider.js';
import { providerRegion } from '../agent/providers/run-provider.js';
import type { TaskcapConfig } from './config.js';
import { effortFor, type Effort, type ModelSpec } from './models.js';
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
 * and is the repository's policy; the input is the workflow's.) Unknown models fail here, before any request, with
 * the setting they came from named.
 */
export function resolveSettings(className: string, config: TaskcapConfig, inputs: Pick<Inputs, 'model' | 'maxCostUsd' | 'configPath'>, provider?: Pick<RunProvider, 'plan'>): TaskSettings {
  const spec = config.classes[className];
  const { id, where } = chooseModel(className, config, inputs);
  // The provider names models its own way (regional prefixes, deployments): the id is read in its terms.
  const model = resolveModel(id, config, { provider: provider?.plan.provider, region: provider && providerRegion(provider.plan), where });
  return { model, effort: effortFor(model, spec.effort), maxCostUsd: spec.maxCostUsd ?? config.maxCostUsd ?? inputs.maxCostUsd };
}

/** The model a class runs on, and the setting that chose it (a class's `model`, the config's, else the input). */
export function chooseModel(className: string, config: TaskcapConfig, inputs: Pick<Inputs, 'model' | 'configPath'>): { id: string; where: string } {
  const own = config.classes[className]?.model;
  if (own) return { id: own, where: `classes.${className}.model in ${inputs.configPath}` };
  if (config.model) return { id: config.model, where: `model in ${inputs.configPath}` };
  return { id: inputs.model, where: "the workflow's 'model' input" };
}

/** The monthly cap, by the same precedence (no class can set it). */
export function monthlyCapOf(config: TaskcapConfig, inputs: Pick<Inputs, 'maxMonthlyCostUsd'>): number | undefined {
  return config.maxMonthlyCostUsd ?? inputs.maxMonthlyCostUsd;
}
