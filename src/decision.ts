import type { UserNotice } from './util/errors.js';

/**
 * Every step that can turn an event down answers with a Decision: go on with a value, or stop for one of three
 * reasons that the user sees differently. `skip` is an event not meant for taskcap (a neutral, green job);
 * `refuse` is a request taskcap turns down on purpose (who asked, from where); `invalid` is a request taskcap
 * cannot carry out as written (a bad budget, a misspelled class, an unknown task): a failure. A refusal or an
 * invalid request may carry a notice: what to tell the person who asked, where they asked.
 */
export type Skip = { kind: 'skip'; reason: string };
export type Refusal = { kind: 'refuse'; reason: string; notice?: UserNotice };
export type Invalid = { kind: 'invalid'; reason: string; notice?: UserNotice };
export type Stop = Skip | Refusal | Invalid;
export type Go<T> = { kind: 'go'; value: T };
export type Decision<T> = Go<T> | Stop;

export const go = <T>(value: T): Go<T> => ({ kind: 'go', value });
export const skip = (reason: string): Skip => ({ kind: 'skip', reason });
export const refuse = (reason: string, notice?: UserNotice): Refusal => ({ kind: 'refuse', reason, ...(notice ? { notice } : {}) });
export const invalid = (reason: string, notice?: UserNotice): Invalid => ({ kind: 'invalid', reason, ...(notice ? { notice } : {}) });
