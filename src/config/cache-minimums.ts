/**
 * The shortest prompt prefix each model caches (tokens): a breakpoint on a shorter prefix silently writes and
 * reads nothing. Source: ../shared/reference/anthropic-api.md §5 (the prompt-caching docs, late 2026). Models the
 * docs do not list (Sonnet 5.5, Haiku 5.5, Fable and Mythos 5.2) are left out: taskcap then does not fill the stable
 * prefix toward a minimum it does not know.
 */
const MINIMUMS: [ids: string[], tokens: number][] = [
  [['claude-fable-5-1', 'claude-mythos-5-1', 'claude-opus-5-5', 'claude-opus-5', 'claude-fable-5', 'claude-mythos-5'], 512],
  [['claude-opus-4-8', 'claude-sonnet-5', 'claude-sonnet-4-6', 'claude-sonnet-4-5'], 1024],
  [['claude-opus-4-7', 'claude-mythos-preview'], 2048],
  [['claude-opus-4-6', 'claude-opus-4-5', 'claude-haiku-4-5'], 4096],
];

const BY_ID = new Map(MINIMUMS.flatMap(([ids, tokens]) => ids.map((id) => [id, tokens] as const)));
/** Longest ids first, so `claude-opus-5-5` is not read as `claude-opus-5`. */
const IDS = [...BY_ID.keys()].sort((a, b) => b.length - a.length);

/**
 * The cache minimum of `modelId`, also when the id is a provider's (a Bedrock or Vertex id carries the Claude id
 * inside it, with a date or version suffix); undefined when unknown.
 */
export function cacheMinimumOf(modelId: string): number | undefined {
  const exact = BY_ID.get(modelId);
  if (exact !== undefined) return exact;
  const id = IDS.find((known) => new RegExp(`(^|[^a-z0-9-])${known}($|[^a-z0-9-]|-\\d{8}|-v\\d)`, 'i').test(modelId));
  return id === undefined ? undefined : BY_ID.get(id);
}
