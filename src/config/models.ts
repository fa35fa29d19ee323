/**
 * What taskcap must know about each model: whether it takes a task budget, which effort levels it accepts,
 * how much it may write in one response, whether adaptive thinking is on, and its list prices.
 * Sources: ../shared/reference/anthropic-api.md §1.8 (task budgets), §2 (effort), §3 (prices).
 */
export const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;

/**
 * What a model id looks like (inputs and config are checked against it before it reaches a request): a first-party
 * id, a provider's id (`us.anthropic.…`, `…@20251001`) or a Bedrock ARN (with `/`).
 */
export const MODEL_ID = /^[a-z0-9][a-z0-9.@:_/-]*$/i;
export type Effort = (typeof EFFORTS)[number];

/** USD per million tokens. */
export interface Prices {
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
}

/** Haiku 5.5 reprices the whole request (output included) when the prompt passes a threshold. */
export interface PriceTier {
  base: Prices;
  longContext?: { aboveInputTokens: number; prices: Prices };
}

export interface ModelSpec {
  /** The id sent to the provider (a Bedrock inference profile, a Vertex `@date` id, a Foundry deployment). */
  id: string;
  /** The Claude model whose prices and features apply, when `id` is a provider's name for it. */
  claudeModel?: string;
  taskBudget: boolean;
  efforts: readonly Effort[];
  adaptiveThinking: boolean;
  maxOutputTokens: number;
  pricing: PriceTier;
}

const ALL_EFFORTS: readonly Effort[] = EFFORTS;
const UP_TO_MAX: readonly Effort[] = ['low', 'medium', 'high', 'max'];
const UP_TO_HIGH: readonly Effort[] = ['low', 'medium', 'high'];
const NONE: readonly Effort[] = [];

const p = (input: number, cacheWrite5m: number, cacheWrite1h: number, cacheRead: number, output: number): PriceTier => ({
  base: { input, cacheWrite5m, cacheWrite1h, cacheRead, output },
});

type Row = [ids: string[], taskBudget: boolean, efforts: readonly Effort[], adaptive: boolean, maxOut: number, pricing: PriceTier];

// Max output: 128k where documented for the 4.7+ Opus line and Fable/Mythos; 64k elsewhere. A value above the
// model's real maximum is a 400, so unknowns are set low.
const ROWS: Row[] = [
  // Fable/Mythos 5.2 (released 2026-11-09) are in no task-budget list seen; the hard cap works without it.
  // Mythos 5.2 prices are unverified and assumed equal to Fable 5.2, as for 5 and 5.1. Override with `pricing:`.
  [['claude-fable-5-2', 'claude-mythos-5-2'], false, ALL_EFFORTS, true, 128_000, p(8, 10, 16, 0.2, 40)],
  [['claude-fable-5-1', 'claude-mythos-5-1'], true, ALL_EFFORTS, true, 128_000, p(10, 12.5, 20, 0.25, 50)],
  [['claude-fable-5', 'claude-mythos-5'], true, ALL_EFFORTS, true, 128_000, p(10, 12.5, 20, 1, 50)],
  [['claude-opus-5-5'], true, ALL_EFFORTS, true, 128_000, p(4, 5, 8, 0.2, 20)],
  [['claude-opus-5'], true, ALL_EFFORTS, true, 128_000, p(5, 6.25, 10, 0.5, 25)],
  [['claude-opus-4-8', 'claude-opus-4-7'], true, ALL_EFFORTS, true, 128_000, p(5, 6.25, 10, 0.5, 25)],
  [['claude-opus-4-6'], false, UP_TO_MAX, true, 64_000, p(5, 6.25, 10, 0.5, 25)],
  [['claude-opus-4-5', 'claude-opus-4-5-20251101'], false, UP_TO_HIGH, false, 64_000, p(5, 6.25, 10, 0.5, 25)],
  [['claude-sonnet-5-5'], true, ALL_EFFORTS, true, 64_000, p(2, 2.5, 4, 0.1, 10)],
  [['claude-sonnet-5'], false, ALL_EFFORTS, true, 64_000, p(2, 2.5, 4, 0.2, 10)],
  [['claude-sonnet-4-6'], false, UP_TO_MAX, true, 64_000, p(3, 3.75, 6, 0.3, 15)],
  [['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'], false, NONE, false, 64_000, p(3, 3.75, 6, 0.3, 15)],
  [
    ['claude-haiku-5-5'],
    true,
    ALL_EFFORTS,
    true,
    64_000,
    {
      base: { input: 0.1, cacheWrite5m: 0.125, cacheWrite1h: 0.2, cacheRead: 0.01, output: 0.5 },
      longContext: {
        aboveInputTokens: 100_000,
        prices: { input: 0.5, cacheWrite5m: 0.625, cacheWrite1h: 1, cacheRead: 0.05, output: 2.5 },
      },
    },
  ],
  [['claude-haiku-4-5', 'claude-haiku-4-5-20251001'], false, NONE, false, 64_000, p(1, 1.25, 2, 0.1, 5)],
];

export const BUILT_IN_MODELS: ReadonlyMap<string, ModelSpec> = new Map(
  ROWS.flatMap(([ids, taskBudget, efforts, adaptiveThinking, maxOutputTokens, pricing]) =>
    ids.map((id) => [id, { id, taskBudget, efforts, adaptiveThinking, maxOutputTokens, pricing }] as const),
  ),
);

/** A model unknown to taskcap: no beta, no effort, no thinking, a modest output cap; prices must come from the config. */
export function unknownModelSpec(id: string, pricing: PriceTier): ModelSpec {
  return { id, taskBudget: false, efforts: NONE, adaptiveThinking: false, maxOutputTokens: 32_000, pricing };
}

/** The effort to send: the requested one if the model takes it, else the nearest lower one it takes, else none. */
export function effortFor(model: ModelSpec, wanted: Effort): Effort | undefined {
  for (let i = EFFORTS.indexOf(wanted); i >= 0; i--) {
    if (model.efforts.includes(EFFORTS[i])) return EFFORTS[i];
  }
  return undefined;
}
