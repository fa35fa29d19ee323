import { describe, expect, it } from '@jest/globals';
import { renderJobSummary, SUMMARY_LIMIT } from '../../src/render/job-summary.js';
import type { RequestRow, RunOutcome } from '../../src/records/run-outcome.js';
import { budgetExhaustedReport, completedReport, failedReport, noChangesReport } from '../fixtures/run-outcomes.js';

const REPORTS: [string, () => RunOutcome][] = [
  ['completed', completedReport],
  ['no-changes', noChangesReport],
  ['budget-exhausted at the budget', () => budgetExhaustedReport('budget')],
  ['budget-exhausted at the cost cap', () => budgetExhaustedReport('cost')],
  ['budget-exhausted at the time limit', () => budgetExhaustedReport('timeout')],
  ['failed', failedReport],
];

describe('renderJobSummary', () => {
  it.each(REPORTS)('renders a %s run', (_name, make) => {
    expect(renderJobSummary(make())).toMatchSnapshot();
  });

  it('has the receipt without hidden blocks, the chart in view with its numbers, and every request', () => {
    const r = budgetExhaustedReport();
    const md = renderJobSummary(r);
    expect(md).not.toContain('<!--');
    expect(md).not.toContain('<details>');
    expect(md).toContain('48,902 / 50,000 loop tokens (98%)');
    expect(md).toContain('**All runs on #3**');
    expect(md).toContain('```mermaid');
    expect(md).toContain('| request | loop tokens after | of budget |');
    expect(md).toContain('| request | attempt | input | cache read | cache write | output | loop after | cost | stop reason | duration | request id |');
    const requestRows = md.slice(md.indexOf('#### Requests')).match(/^\| \d+ \| \d+ \|/gm);
    expect(requestRows).toHaveLength(r.requests.length);
    expect(md).toContain('| 14 | 1 | 3 | 55,696 | 2,301 | 742 | 48,902 | $0.0608 | end_turn |');
  });

  it('marks failed attempts and keeps the request ids', () => {
    const md = renderJobSummary(failedReport());
    expect(md).toMatch(/\| 3 \| 2 \| .* \| error \| \d+s \| `req_011CV001003xKq7` \|/);
  });

  it('stays under the 1 MiB summary limit for a pathological run', () => {
    const r = completedReport();
    const many: RequestRow[] = Array.from({ length: 20_000 }, (_, i) => ({ ...r.requests[0], index: i + 1, loopAfter: i * 10 }));
    const md = renderJobSummary({ ...r, requests: many });
    expect(md.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(md).toContain('… and 15,000 more request rows.');
  });
});
