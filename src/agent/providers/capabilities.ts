/**
 * What each provider accepts of the request taskcap sends, and what taskcap does instead. Features are detected,
 * never assumed: the table switches off what is documented as unsupported before the first request, and a 400 that
 * names a feature switches it off for the rest of the task and re-sends (the README's capability table is this
 * table in words). None of this touches the cap: it is enforced client-side on every provider.
 */
import type { BetaContentBlockParam, BetaMessageParam } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { ModelFailure, type ModelCall, type ModelPort } from '../model.js';
import { FEATURE_NAMES, FEATURES, INSTEAD, TASK_BUDGET_BETA, type Feature } from './features.js';
import type { ProviderName } from './provider-name.js';

export type { Feature } from './features.js';

/** `yes`: accepted; `no`: documented as refused, switched off up front; `detect`: sent, switched off on a 400. */
export type Support = 'yes' | 'no' | 'detect';

/** The surfaces taskcap reaches: Bedrock's two endpoints behave differently. */
export type Surface = 'anthropic' | 'bedrock-invoke' | 'bedrock-mantle' | 'vertex' | 'foundry';

export interface SurfaceCapabilities {
  taskBudget: Support;
  effort: Support;
  /** Top-level (automatic) `cache_control`. */
  cacheControl: Support;
  /**
   * Token counting, asked only where a cap binds (its byte-level bound holds everywhere else). `yes` only where it
   * is served for every region and model: Vertex counts in some regions only; Foundry and Bedrock do not document it.
   */
  tokenCounting: 'yes' | 'no';
}

/**
 * Sources: anthropic-api.md §5 (top-level cache_control refused on legacy Bedrock for models up to Opus 4.6), §10
 * (platform packages; Bedrock's InvokeModel client has no token counting); the SDK clients themselves (betas travel
 * in `anthropic_beta` on InvokeModel, in the header elsewhere). Where nothing is documented: `detect`.
 */
export const CAPABILITIES: Readonly<Record<Surface, SurfaceCapabilities>> = {
  anthropic: { taskBudget: 'yes', effort: 'yes', cacheControl: 'yes', tokenCounting: 'yes' },
  'bedrock-invoke': { taskBudget: 'detect', effort: 'detect', cacheControl: 'detect', tokenCounting: 'no' },
  'bedrock-mantle': { taskBudget: 'detect', effort: 'detect', cacheControl: 'detect', tokenCounting: 'no' },
  vertex: { taskBudget: 'detect', effort: 'detect', cacheControl: 'detect', tokenCounting: 'no' },
  foundry: { taskBudget: 'detect', effort: 'detect', cacheControl: 'detect', tokenCounting: 'no' },
};

/** Models served on Bedrock's InvokeModel under ARN-versioned ids: top-level cache_control is a 400 there. */
const LEGACY_BEDROCK_MODELS = /^claude-(?:opus-4(?:-[0-6])?|sonnet-4(?:-[0-6])?|haiku-4-5|3-[a-z0-9-]+)(?:-\d{8})?$/;

export function surfaceOf(provider: ProviderName, bedrockApi?: 'invoke' | 'mantle'): Surface {
  if (provider === 'bedrock') return bedrockApi === 'mantle' ? 'bedrock-mantle' : 'bedrock-invoke';
  return provider;
}

/** Features to switch off before the first request, from the table (and the model, where the table says so). */
export function featuresOffAtStart(surface: Surface, claudeModel: string): Feature[] {
  const caps = CAPABILITIES[surface];
  const off: Feature[] = [];
  if (caps.taskBudget === 'no') off.push('task-budget');
  if (caps.effort === 'no') off.push('effort');
  if (caps.cacheControl === 'no' || (surface === 'bedrock-invoke' && LEGACY_BEDROCK_MODELS.test(claudeModel))) off.push('cache-control');
  return off;
}

const hasTaskBudget = (c: ModelCall) => c.betas.includes(TASK_BUDGET_BETA) || Boolean(c.params.output_config?.task_budget);
const hasEffort = (c: ModelCall) => Boolean(c.params.output_config?.effort);
const hasCacheControl = (c: ModelCall) => Boolean((c.params as { cache_control?: unknown }).cache_control);

/**
 * The feature a 400 refused, when its message names one the request carried. Wording differs per platform ("Extra
 * inputs are not permitted: output_config.task_budget", "invalid beta flag", "extraneous key [cache_control]"), so
 * the match is on the names in it; a refusal of `output_config` as a whole drops the task budget first, then effort.
 */
export function refusedFeature(failure: ModelFailure, call: ModelCall): Feature | undefined {
  if (failure.details.status !== 400) return undefined;
  const said = failure.message;
  const namesTaskBudget = /task[_ -]?budget/i.test(said) || said.includes(TASK_BUDGET_BETA) || /anthropic[-_]beta|beta (flag|header)/i.test(said);
  const namesEffort = /\beffort\b/i.test(said);
  if (namesTaskBudget) return hasTaskBudget(call) ? 'task-budget' : undefined;
  if (namesEffort) return hasEffort(call) ? 'effort' : undefined;
  if (hasCacheControl(call) && /cache[_ ]control/i.test(said)) return 'cache-control';
  if (/output_config/i.test(said)) {
    if (hasTaskBudget(call)) return 'task-budget';
    if (hasEffort(call)) return 'effort';
  }
  return undefined;
}

/**
 * The call without the switched-off features. A refused top-level `cache_control` becomes an explicit breakpoint
 * on the last block of the last message, which every platform accepts: the growing history stays cached.
 */
export function withoutFeatures(call: ModelCall, off: ReadonlySet<Feature>): ModelCall {
  if (off.size === 0) return call;
  const params = { ...call.params } as ModelCall['params'] & { cache_control?: unknown };
  let betas = call.betas;
  if (params.output_config && (off.has('task-budget') || off.has('effort'))) {
    const config = { ...params.output_config };
    if (off.has('task-budget')) delete config.task_budget;
    if (off.has('effort')) delete config.effort;
    if (Object.keys(config).length > 0) params.output_config = config;
    else delete params.output_config;
  }
  if (off.has('task-budget')) betas = betas.filter((b) => b !== TASK_BUDGET_BETA);
  if (off.has('cache-control') && params.cache_control) {
    const breakpoint = params.cache_control;
    delete params.cache_control;
    params.messages = withLastBlockBreakpoint(params.messages, breakpoint as { type: 'ephemeral' });
  }
  return { params, betas };
}

function withLastBlockBreakpoint(messages: BetaMessageParam[], breakpoint: { type: 'ephemeral' }): BetaMessageParam[] {
  const last = messages[messages.length - 1];
  if (!last) return messages;
  const blocks = (typeof last.content === 'string' ? [{ type: 'text' as const, text: last.content }] : [...(last.content as BetaContentBlockParam[])]) as BetaContentBlockParam[];
  const end = blocks[blocks.length - 1];
  if (!end || end.type === 'thinking' || end.type === 'redacted_thinking') return messages;
  blocks[blocks.length - 1] = { ...end, cache_control: breakpoint } as typeof end;
  return [...messages.slice(0, -1), { ...last, content: blocks } as BetaMessageParam];
}

export interface FallbackLog {
  info(message: string): void;
}

/**
 * The model port with features switched off as the table says, and again whenever the platform answers 400 for one:
 * the request is re-sent at once without it (a 400 reports no usage, so nothing is metered twice). Each feature is
 * switched off at most once, so a platform that keeps refusing fails like any other 400.
 */
export function withCapabilityFallback(
  port: ModelPort,
  opts: { providerLabel: string; startOff: readonly Feature[]; log: FallbackLog; counting?: boolean },
): ModelPort & { switchedOff(): Feature[] } {
  const off = new Set<Feature>(opts.startOff);
  for (const f of off) opts.log.info(`${opts.providerLabel} does not take ${FEATURE_NAMES[f]} for this model: ${INSTEAD[f]}.`);
  // Where the table says the platform does not count, taskcap plans with its byte bound (the caps are hard either way).
  const count = opts.counting === false ? undefined : port.countTokens?.bind(port);
  return {
    switchedOff: () => FEATURES.filter((f) => off.has(f)),
    // A count is of the request as it will be sent: without the features already switched off.
    ...(count ? { countTokens: (call: ModelCall, options: { signal: AbortSignal; timeoutMs: number }) => count(withoutFeatures(call, off), options) } : {}),
    async send(call, options) {
      for (;;) {
        const adapted = withoutFeatures(call, off);
        try {
          return await port.send(adapted, options);
        } catch (e) {
          const feature = e instanceof ModelFailure ? refusedFeature(e, adapted) : undefined;
          if (!feature || off.has(feature)) throw e;
          off.add(feature);
          opts.log.info(`${opts.providerLabel} refused ${FEATURE_NAMES[feature]} (${(e as ModelFailure).message}); re-sending without it: ${INSTEAD[feature]}.`);
        }
      }
    },
  };
}
