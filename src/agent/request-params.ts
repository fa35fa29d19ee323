import type { BetaContentBlockParam } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import type { Effort, ModelSpec } from '../config/models.js';
import { TOOL_DEFINITIONS } from '../tools/toolbox.js';
import type { ModelCall } from './model.js';

export const TASK_BUDGET_BETA = 'task-budgets-2026-03-13';

/** Everything of a request but `max_tokens` and `messages`: byte-stable for a run, so the prefix stays cached. */
export interface StableRequest {
  params: Omit<ModelCall['params'], 'max_tokens' | 'messages'>;
  betas: string[];
}

/**
 * The request settings of one run. Tools, then the system prompt with a breakpoint at its end (shared by every run
 * with the same settings), then automatic caching for the growing history. Thinking, effort and the task budget are
 * set once: changing any of them between requests breaks the cached prefix.
 */
export function stableRequest(model: ModelSpec, effort: Effort | undefined, budget: number, system: string): StableRequest {
  return {
    params: {
      model: model.id,
      system: [{ type: 'text' as const, text: system, cache_control: { type: 'ephemeral' as const } }],
      tools: TOOL_DEFINITIONS as unknown as ModelCall['params']['tools'],
      // Automatic caching: the breakpoint moves to the end of the history as it grows.
      cache_control: { type: 'ephemeral' as const },
      ...(model.adaptiveThinking ? { thinking: { type: 'adaptive' as const } } : {}),
      ...outputConfig(model, effort, budget),
    },
    betas: model.taskBudget ? [TASK_BUDGET_BETA] : [],
  };
}

/** The repository context as the first block of the first message, with its own breakpoint (runs on a commit share it). */
export const contextBlock = (context: string): BetaContentBlockParam => ({ type: 'text', text: context, cache_control: { type: 'ephemeral' } });

/** The stable prefix alone (tools, system, the context), as a request for counting its tokens. */
export function stablePrefixCall(stable: StableRequest, context: string): ModelCall {
  return { params: { ...stable.params, max_tokens: 1, messages: [{ role: 'user', content: [contextBlock(context)] }] }, betas: stable.betas };
}

function outputConfig(model: ModelSpec, effort: Effort | undefined, budget: number) {
  const config: { effort?: Effort; task_budget?: { type: 'tokens'; total: number } } = {};
  if (effort) config.effort = effort;
  // Set once, never a decremented `remaining`: the full history is re-sent, and a changing value breaks the cache.
  if (model.taskBudget) config.task_budget = { type: 'tokens', total: budget };
  return Object.keys(config).length > 0 ? { output_config: config } : {};
}
