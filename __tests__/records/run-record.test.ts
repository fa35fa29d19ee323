import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { buildRunRecord, RUN_RECORD_SCHEMA, type RunRecordMeta } from '../../src/records/run-record.js';
import type { RunOutcome } from '../../src/records/run-outcome.js';
import { budgetExhaustedReport, completedReport, failedReport, noChangesReport } from '../fixtures/run-outcomes.js';

// ajv ships CommonJS; load it the way Node does (it is installed with ajv-formats, a dev dependency).
const require = createRequire(import.meta.url);
type Validator = ((data: unknown) => boolean) & { errors?: unknown };
const Ajv = require('ajv') as new (opts: object) => { compile: (schema: object) => Validator };
const validate = new Ajv({ allErrors: true, strict: true }).compile(RUN_RECORD_SCHEMA);

const ANTHROPIC_CANARY = 'sk-ant-api03-CANARYcanaryCANARYcanary0123456789';
const GITHUB_CANARY = 'ghs_CANARYcanaryCANARYcanary0123456789ab';

const meta = (extra: Partial<RunRecordMeta> = {}): RunRecordMeta => ({
  repository: 'acme/slugkit',
  runId: '11934834502',
  runAttempt: 1,
  eventName: 'issues',
  target: '#3',
  startedAt: '2026-11-29T07:00:54.000Z',
  endedAt: '2026-11-29T07:11:05.000Z',
  toolCalls: [
    { name: 'bash', durationMs: 2_310, resultBytes: 1_804, isError: false },
    { name: 'str_replace_based_edit_tool', durationMs: 12, resultBytes: 96, isError: false },
    { name: 'bash', durationMs: 9_104, resultBytes: 16_384, isError: true },
  ],
  limitsHit: ['budget'],
  ...extra,
});

/** A report whose every free-text field carries a secret-shaped canary. */
function leakyReport(): RunOutcome {
  const r = budgetExhaustedReport();
  const leak = `token ${ANTHROPIC_CANARY} and ${GITHUB_CANARY}`;
  return {
    ...r,
    summary: `Done. ${leak}`,
    reason: `The run failed: ${leak}`,
    branch: `taskcap/${GITHUB_CANARY}`,
    changedFiles: [`${ANTHROPIC_CANARY}.txt`],
    droppedPaths: [`${GITHUB_CANARY}/x`],
    sandbox: { kind: 'bubblewrap', note: `bubblewrap ${ANTHROPIC_CANARY}` },
    tests: { command: `API_KEY=${ANTHROPIC_CANARY} npm test`, passed: false, exitCode: 1, timedOut: false, outputTail: leak, durationMs: 9_100 },
    commentUrl: `https://github.com/acme/slugkit/issues/3#${GITHUB_CANARY}`,
    toolCalls: { bash: 2, [ANTHROPIC_CANARY]: 1 },
    className: GITHUB_CANARY,
    model: ANTHROPIC_CANARY,
    requests: r.requests.map((q, i) => (i === 0 ? { ...q, error: leak, requestId: GITHUB_CANARY, stopReason: leak } : q)),
  };
}

describe('buildRunRecord', () => {
  it.each([
    ['completed', completedReport],
    ['no-changes', noChangesReport],
    ['budget-exhausted', budgetExhaustedReport],
    ['failed', failedReport],
  ])('matches its schema for a %s run', (_name, make) => {
    const record = buildRunRecord(make(), meta());
    const json = JSON.parse(JSON.stringify(record));
    expect(validate(json)).toBe(true);
    expect(validate.errors ?? null).toBeNull();
  });

  it('holds per-request usage, request ids, timings, tool calls (no contents), limits and final figures', () => {
    const r = budgetExhaustedReport();
    const record = buildRunRecord(r, meta());
    expect(record.schema).toBe('taskcap.run-record/v1');
    expect(record.requests).toHaveLength(r.requests.length);
    expect(record.requests[13]).toEqual({
      index: 14,
      attempt: 1,
      input: 3,
      cacheRead: 55_696,
      cacheWrite: 2_301,
      output: 742,
      loopAfter: 48_902,
      costUsd: expect.closeTo(r.requests[13].costUsd, 8),
      stopReason: 'end_turn',
      failed: false,
      durationMs: r.requests[13].durationMs,
      requestId: r.requests[13].requestId,
    });
    expect(record.toolCalls).toEqual(meta().toolCalls);
    expect(record.toolCallCounts).toEqual({ bash: 11, str_replace_based_edit_tool: 6, other: 0 });
    expect(record.limitsHit).toEqual(['budget']);
    expect(record.totals.loopTokens).toBe(48_902);
    expect(record.totals.costUsd).toBeCloseTo(r.costUsd, 8);
    expect(record.endReason).toBe('budget');
    expect(record.pr).toEqual({ number: 12, draft: true, operation: 'created' });
    expect(record.changedFiles).toBe(2);
    expect(record.sandbox).toBe('bubblewrap');
  });

  it('holds no secret and no free text, even when every text field carries one', () => {
    const record = buildRunRecord(
      leakyReport(),
      meta({
        repository: `acme/${GITHUB_CANARY}x!`,
        target: `fix ${ANTHROPIC_CANARY}`,
        eventName: GITHUB_CANARY,
        toolCalls: [{ name: ANTHROPIC_CANARY, durationMs: 1, resultBytes: 2, isError: false }],
        limitsHit: ['budget', GITHUB_CANARY],
      }),
    );
    const json = JSON.stringify(record);
    expect(json).not.toContain('sk-ant-');
    expect(json).not.toContain('ghs_');
    expect(json).not.toContain('CANARY');
    expect(json).not.toMatch(/Done\.|npm test|The run failed/);
    expect(validate(JSON.parse(json))).toBe(true);
    expect(record.toolCalls[0].name).toBe('other');
    expect(record.limitsHit).toEqual(['budget', 'other']);
    expect(record.requests[0]).toMatchObject({ failed: true, stopReason: 'other', requestId: null });
  });

  it('the schema rejects what the record must never hold', () => {
    const record = JSON.parse(JSON.stringify(buildRunRecord(completedReport(), meta())));
    expect(validate({ ...record, summary: 'text' })).toBe(false);
    expect(validate({ ...record, requests: [{ ...record.requests[0], error: 'text' }] })).toBe(false);
    expect(validate({ ...record, toolCalls: [{ name: 'bash', durationMs: 1, resultBytes: 1, isError: false, input: 'ls' }] })).toBe(false);
    expect(validate({ ...record, status: 'great' })).toBe(false);
    expect(validate({ ...record, totals: { ...record.totals, loopTokens: -1 } })).toBe(false);
  });

  it('normalizes times and rejects malformed identifiers', () => {
    const record = buildRunRecord(completedReport(), meta({ startedAt: '2026-11-29T08:00:54+01:00', endedAt: 'soon', runId: '12abc', runAttempt: 0 }));
    expect(record.startedAt).toBe('2026-11-29T07:00:54.000Z');
    expect(record.endedAt).toBeNull();
    expect(record.runId).toBeNull();
    expect(record.runAttempt).toBe(1);
  });
});
