import { FEATURES, isFeature, type Feature } from '../agent/providers/features.js';
import { PROVIDERS, type ProviderName } from '../agent/providers/provider-name.js';
import type { TokenCounts } from '../budget/usage.js';
import { EFFORTS } from '../config/models.js';
import { END_REASONS, LIMIT_NAMES, SANDBOX_KINDS, STATUSES, STOP_REASONS, TOOL_NAMES, type EndReason, type LimitName, type SandboxKind, type Status } from '../vocabulary.js';
import type { RequestRow, RunOutcome } from './run-outcome.js';

/**
 * The run record: a machine-readable account of one run (a JSON file in RUNNER_TEMP, optionally uploaded as an
 * artifact). It is built only from figures and fixed vocabularies: no summary, no reason text, no command line,
 * no file path, no tool input or output. Anything that is free text upstream is either left out or mapped onto an
 * enum here, so the record cannot carry a secret or anything a model or a user wrote.
 */

export const RUN_RECORD_SCHEMA_ID = 'taskcap.run-record/v1';

type StopReasonName = (typeof STOP_REASONS)[number];
type ToolName = (typeof TOOL_NAMES)[number];

export interface ToolCallMeta {
  name: string;
  durationMs: number;
  resultBytes: number;
  isError: boolean;
}

export interface RunRecordMeta {
  /** owner/repo */
  repository: string;
  runId: string;
  runAttempt: number;
  eventName: string;
  /** `#12` for an issue/PR, or the scheduled task's key. */
  target: string;
  startedAt: string;
  endedAt: string;
  toolCalls: ToolCallMeta[];
  limitsHit: string[];
}

/** A request as the record keeps it: the receipt's row with a known stop reason, a failure flag and no free text. */
export type RunRecordRequest = Pick<RequestRow, 'index' | 'attempt' | 'input' | 'cacheRead' | 'cacheWrite' | 'output' | 'loopAfter' | 'costUsd' | 'durationMs'> & {
  stopReason: StopReasonName | null;
  failed: boolean;
  requestId: string | null;
};

export interface RunRecord {
  schema: typeof RUN_RECORD_SCHEMA_ID;
  repository: string | null;
  runId: string | null;
  runAttempt: number;
  eventName: string | null;
  target: string | null;
  startedAt: string | null;
  endedAt: string | null;
  status: Status;
  endReason: EndReason | null;
  className: string | null;
  budget: number | null;
  model: string | null;
  /** Where Claude was reached. */
  provider: ProviderName | null;
  /** Request features the provider refused and taskcap switched off. */
  switchedOff: Feature[];
  effort: (typeof EFFORTS)[number] | null;
  maxCostUsd: number | null;
  dryRun: boolean;
  limitsHit: LimitName[];
  totals: {
    loopTokens: number;
    billed: TokenCounts;
    costUsd: number;
    costByCategory: RunOutcome['costByCategory'];
    uncachedCostUsd: number;
    turns: number;
    wallMs: number;
  };
  requests: RunRecordRequest[];
  toolCalls: { name: ToolName; durationMs: number; resultBytes: number; isError: boolean }[];
  toolCallCounts: Record<ToolName, number>;
  tests: { passed: boolean; exitCode: number | null; timedOut: boolean; durationMs: number } | null;
  pr: { number: number; draft: boolean; operation: 'created' | 'updated' | 'unchanged' } | null;
  changedFiles: number;
  droppedPaths: number;
  hiddenRemoved: number;
  sandbox: SandboxKind | null;
  closingTurn: 'none' | 'sent' | 'skipped' | null;
  summaryIsFallback: boolean;
  /** The repository context in request 1 (sizes and counts only: no path, no text). */
  context: { sha: string | null; bytes: number; stableTokens: number | null; instructionFiles: number; nestedInstructionFiles: number; files: number; filledTo: number | null } | null;
  /** Token-counting calls made to plan near a cap. */
  counting: { calls: number; failures: number; stopped: boolean };
  /** A cost-cap stop: what the next request needed, and (before any work) the cap that lets the run start. */
  costStop: { started: boolean; capUsd: number; promptTokens: number; neededUsd: number; smallestCapUsd: number | null } | null;
}

// Identifiers that come from GitHub or from the workflow author's config: kept only when they look like what they
// are, so a crafted value cannot smuggle text into the record.
const PATTERNS = {
  repository: '^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$',
  runId: '^[0-9]{1,20}$',
  eventName: '^[a-z_]{1,40}$',
  target: '^(#[0-9]{1,10}|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$',
  isoTime: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$',
  className: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$',
  model: '^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,159}$',
  requestId: '^[A-Za-z0-9_-]{1,128}$',
  sha: '^[0-9a-f]{40}([0-9a-f]{24})?$',
} as const;

/**
 * Token shapes (Anthropic, GitHub, AWS, JWT). An identifier field could hold one only by mistake or on purpose
 * (a config key, a model id): such a value is dropped, not recorded.
 */
const SECRET_SHAPES = [/sk-ant-/i, /gh[pousr]_[A-Za-z0-9]{8,}/, /github_pat_/i, /(?:AKIA|ASIA)[0-9A-Z]{16}/, /eyJ[A-Za-z0-9_-]{8,}/];

function matching(value: string | undefined, pattern: string): string | null {
  if (typeof value !== 'string' || !new RegExp(pattern).test(value)) return null;
  return SECRET_SHAPES.some((shape) => shape.test(value)) ? null : value;
}

function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[], fallback: T | null): T | null {
  if (value === null || value === undefined) return null;
  return (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** Counts and durations are never negative or fractional in the record. */
const count = (n: number | undefined): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0);
const usd = (n: number | undefined): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n * 1e8) / 1e8 : 0);

/** Normalize an ISO time to `…Z` (the runner passes Date#toISOString already). */
function isoTime(value: string): string | null {
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : matching(new Date(t).toISOString(), PATTERNS.isoTime);
}

export function buildRunRecord(report: RunOutcome, meta: RunRecordMeta): RunRecord {
  const toolCalls = meta.toolCalls.map((t) => ({
    name: oneOf(t.name, TOOL_NAMES, 'other') ?? 'other',
    durationMs: count(t.durationMs),
    resultBytes: count(t.resultBytes),
    isError: t.isError === true,
  }));
  const toolCallCounts: Record<ToolName, number> = { bash: 0, str_replace_based_edit_tool: 0, other: 0 };
  for (const [name, n] of Object.entries(report.toolCalls)) toolCallCounts[oneOf(name, TOOL_NAMES, 'other') ?? 'other'] += count(n);

  return {
    schema: RUN_RECORD_SCHEMA_ID,
    repository: matching(meta.repository, PATTERNS.repository),
    runId: matching(meta.runId, PATTERNS.runId),
    runAttempt: Math.max(1, count(meta.runAttempt)),
    eventName: matching(meta.eventName, PATTERNS.eventName),
    target: matching(meta.target, PATTERNS.target),
    startedAt: isoTime(meta.startedAt),
    endedAt: isoTime(meta.endedAt),
    status: oneOf(report.status, STATUSES, 'failed') ?? 'failed',
    endReason: oneOf(report.endReason, END_REASONS, null),
    className: matching(report.className, PATTERNS.className),
    budget: report.budget !== undefined ? count(report.budget) : null,
    model: matching(report.model, PATTERNS.model),
    provider: oneOf(report.provider, PROVIDERS, null),
    switchedOff: [...new Set((report.switchedOff ?? []).filter(isFeature))],
    effort: oneOf(report.effort, EFFORTS, null),
    maxCostUsd: report.maxCostUsd !== undefined ? usd(report.maxCostUsd) : null,
    dryRun: report.dryRun === true,
    limitsHit: [...new Set(meta.limitsHit.map((l) => oneOf(l, LIMIT_NAMES, 'other') ?? 'other'))],
    totals: {
      loopTokens: count(report.loopTokens),
      billed: {
        input: count(report.billed.input),
        cacheWrite5m: count(report.billed.cacheWrite5m),
        cacheWrite1h: count(report.billed.cacheWrite1h),
        cacheRead: count(report.billed.cacheRead),
        output: count(report.billed.output),
        thinking: count(report.billed.thinking),
      },
      costUsd: usd(report.costUsd),
      costByCategory: {
        input: usd(report.costByCategory.input),
        cacheWrite: usd(report.costByCategory.cacheWrite),
        cacheRead: usd(report.costByCategory.cacheRead),
        output: usd(report.costByCategory.output),
      },
      uncachedCostUsd: usd(report.uncachedCostUsd),
      turns: count(report.turns),
      wallMs: count(report.wallMs),
    },
    requests: report.requests.map((q) => ({
      index: count(q.index),
      attempt: Math.max(1, count(q.attempt)),
      input: count(q.input),
      cacheRead: count(q.cacheRead),
      cacheWrite: count(q.cacheWrite),
      output: count(q.output),
      loopAfter: count(q.loopAfter),
      costUsd: usd(q.costUsd),
      stopReason: oneOf(q.stopReason, STOP_REASONS, 'other'),
      // Whether the attempt failed, never the error text (it can quote anything the API or a proxy returned).
      failed: q.error !== undefined,
      durationMs: count(q.durationMs),
      requestId: matching(q.requestId, PATTERNS.requestId),
    })),
    toolCalls,
    toolCallCounts,
    tests: report.tests
      ? { passed: report.tests.passed, exitCode: report.tests.exitCode, timedOut: report.tests.timedOut, durationMs: count(report.tests.durationMs) }
      : null,
    pr: report.pr ? { number: count(report.pr.number), draft: report.pr.draft, operation: report.pr.operation } : null,
    changedFiles: report.changedFiles.length,
    droppedPaths: report.droppedPaths?.length ?? 0,
    hiddenRemoved: count(report.hiddenRemoved),
    sandbox: report.sandbox?.kind ?? null,
    closingTurn: report.closingTurn ?? null,
    summaryIsFallback: report.summaryIsFallback === true,
    context: report.context
      ? {
          sha: matching(report.context.sha, PATTERNS.sha),
          bytes: count(report.context.bytes),
          stableTokens: report.context.stableTokens !== undefined ? count(report.context.stableTokens) : null,
          instructionFiles: report.context.instructionFiles.length,
          nestedInstructionFiles: count(report.context.nestedInstructionFiles),
          files: count(report.context.files),
          filledTo: report.context.filledTo !== undefined ? count(report.context.filledTo) : null,
        }
      : null,
    counting: { calls: count(report.counting?.calls), failures: count(report.counting?.failures), stopped: report.counting?.stoppedBecause !== undefined },
    costStop: report.costStop
      ? {
          started: report.costStop.started === true,
          capUsd: usd(report.costStop.capUsd),
          promptTokens: count(report.costStop.promptTokens),
          neededUsd: usd(report.costStop.neededUsd),
          smallestCapUsd: report.costStop.smallestCapUsd !== undefined ? usd(report.costStop.smallestCapUsd) : null,
        }
      : null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// JSON Schema (draft-07), for consumers of the record and for the tests.

const nonNegInt = { type: 'integer', minimum: 0 } as const;
const nonNegNum = { type: 'number', minimum: 0 } as const;
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const str = (pattern: string) => ({ type: 'string', pattern });
const object = (properties: Record<string, object>) => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
});

export const RUN_RECORD_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://taskcap.dev/schemas/run-record-v1.json',
  title: 'taskcap run record v1',
  ...object({
    schema: { const: RUN_RECORD_SCHEMA_ID },
    repository: nullable(str(PATTERNS.repository)),
    runId: nullable(str(PATTERNS.runId)),
    runAttempt: { type: 'integer', minimum: 1 },
    eventName: nullable(str(PATTERNS.eventName)),
    target: nullable(str(PATTERNS.target)),
    startedAt: nullable(str(PATTERNS.isoTime)),
    endedAt: nullable(str(PATTERNS.isoTime)),
    status: { enum: STATUSES },
    endReason: nullable({ enum: END_REASONS }),
    className: nullable(str(PATTERNS.className)),
    budget: nullable(nonNegInt),
    model: nullable(str(PATTERNS.model)),
    provider: nullable({ enum: PROVIDERS }),
    switchedOff: { type: 'array', uniqueItems: true, items: { enum: FEATURES } },
    effort: nullable({ enum: EFFORTS }),
    maxCostUsd: nullable(nonNegNum),
    dryRun: { type: 'boolean' },
    limitsHit: { type: 'array', uniqueItems: true, items: { enum: LIMIT_NAMES } },
    totals: object({
      loopTokens: nonNegInt,
      billed: object({ input: nonNegInt, cacheWrite5m: nonNegInt, cacheWrite1h: nonNegInt, cacheRead: nonNegInt, output: nonNegInt, thinking: nonNegInt }),
      costUsd: nonNegNum,
      costByCategory: object({ input: nonNegNum, cacheWrite: nonNegNum, cacheRead: nonNegNum, output: nonNegNum }),
      uncachedCostUsd: nonNegNum,
      turns: nonNegInt,
      wallMs: nonNegInt,
    }),
    requests: {
      type: 'array',
      items: object({
        index: nonNegInt,
        attempt: { type: 'integer', minimum: 1 },
        input: nonNegInt,
        cacheRead: nonNegInt,
        cacheWrite: nonNegInt,
        output: nonNegInt,
        loopAfter: nonNegInt,
        costUsd: nonNegNum,
        stopReason: nullable({ enum: STOP_REASONS }),
        failed: { type: 'boolean' },
        durationMs: nonNegInt,
        requestId: nullable(str(PATTERNS.requestId)),
      }),
    },
    toolCalls: {
      type: 'array',
      items: object({ name: { enum: TOOL_NAMES }, durationMs: nonNegInt, resultBytes: nonNegInt, isError: { type: 'boolean' } }),
    },
    toolCallCounts: object(Object.fromEntries(TOOL_NAMES.map((n) => [n, nonNegInt]))),
    tests: nullable(object({ passed: { type: 'boolean' }, exitCode: nullable({ type: 'integer' }), timedOut: { type: 'boolean' }, durationMs: nonNegInt })),
    pr: nullable(object({ number: nonNegInt, draft: { type: 'boolean' }, operation: { enum: ['created', 'updated', 'unchanged'] } })),
    changedFiles: nonNegInt,
    droppedPaths: nonNegInt,
    hiddenRemoved: nonNegInt,
    sandbox: nullable({ enum: SANDBOX_KINDS }),
    closingTurn: nullable({ enum: ['none', 'sent', 'skipped'] }),
    summaryIsFallback: { type: 'boolean' },
    context: nullable(
      object({
        sha: nullable(str(PATTERNS.sha)),
        bytes: nonNegInt,
        stableTokens: nullable(nonNegInt),
        instructionFiles: nonNegInt,
        nestedInstructionFiles: nonNegInt,
        files: nonNegInt,
        filledTo: nullable(nonNegInt),
      }),
    ),
    counting: object({ calls: nonNegInt, failures: nonNegInt, stopped: { type: 'boolean' } }),
    costStop: nullable(object({ started: { type: 'boolean' }, capUsd: nonNegNum, promptTokens: nonNegInt, neededUsd: nonNegNum, smallestCapUsd: nullable(nonNegNum) })),
  }),
} as const;
