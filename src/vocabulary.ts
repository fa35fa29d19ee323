/**
 * The words a run is described in. Each is a const array (what inputs, config and the run record validate against)
 * and the type derived from it, so a new word is added in one place.
 */

/** How a run ended, as the `status` output says it. */
export const STATUSES = ['completed', 'budget-exhausted', 'no-changes', 'skipped', 'refused', 'failed'] as const;
export type Status = (typeof STATUSES)[number];

/** The limits that can end the work and trigger the closing turn. */
export const CLOSING_CAUSES = ['budget', 'cost', 'timeout'] as const;
export type ClosingCause = (typeof CLOSING_CAUSES)[number];

/** Why the agent loop ended. */
export const END_REASONS = ['completed', ...CLOSING_CAUSES, 'cancelled', 'refusal', 'context-window', 'api-error'] as const;
export type EndReason = (typeof END_REASONS)[number];

/** The limits a run can hit (the run record's `limitsHit`). */
export const LIMIT_NAMES = ['budget', 'cost', 'timeout', 'context-window', 'max-output', 'tool-output', 'tests-timeout', 'other'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** The `sandbox` input. */
export const SANDBOX_MODES = ['auto', 'required', 'off'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** Where the agent's commands actually ran. */
export const SANDBOX_KINDS = ['bubblewrap', 'host'] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];

/** The `mode` input. */
export const RUN_MODES = ['run', 'report', 'plan', 'shard', 'collect'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** What a class of work produces: a patch PR, or a written result posted as a comment (plus a PR if files changed). */
export const CLASS_OUTPUTS = ['patch', 'report'] as const;
export type ClassOutput = (typeof CLASS_OUTPUTS)[number];

/** The `stop_reason` values the run record keeps (anything else is `other`). */
export const STOP_REASONS = ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded', 'other'] as const;

/** The client tools taskcap offers; a call to anything else (a model can name any tool) is recorded as `other`. */
export const TOOL_NAMES = ['bash', 'str_replace_based_edit_tool', 'other'] as const;

/** What a PR publication did. */
export type PullOperation = 'created' | 'updated' | 'unchanged';

/** Whether `value` is one of `words` (narrowing it). */
export const isOneOf = <T extends string>(words: readonly T[], value: unknown): value is T => typeof value === 'string' && (words as readonly string[]).includes(value);
