/**
 * Every step that can turn an event down answers with a Decision: go on with a value, or stop for one of three
 * reasons that the user sees differently. `skip` is an event not meant for taskcap (a neutral, green job);
 * `refuse` is a request taskcap turns down on purpose (who asked, from where), sometimes with a notice on the
 * issue; `invalid` is a request taskcap cannot carry out as written (a bad budget, an unknown task): a failure.
 */

/** A keyed comment that explains a refusal where the person asked (one per issue/PR and kind). */
export interface Notice {
  on: number;
  kind: string;
  text: string;
}

export type Stop = { kind: 'skip'; reason: string } | { kind: 'refuse'; reason: string; notice?: Notice } | { kind: 'invalid'; reason: string };
export type Decision<T> = { kind: 'go'; value: T } | Stop;

export const go = <T>(value: T): Decision<T> => ({ kind: 'go', value });
export const skip = (reason: string): Stop => ({ kind: 'skip', reason });
export const refuse = (reason: string, notice?: Notice): Stop => ({ kind: 'refuse', reason, ...(notice ? { notice } : {}) });
export const invalid = (reason: string): Stop => ({ kind: 'invalid', reason });
