/**
 * A schedule event carries the workflow's cron as written, and taskcap runs the tasks whose `schedule` is written
 * the same. Two spellings of one schedule (`0 3 * * MON` and `0 3 * * 1`) are a silent mismatch; this module tells
 * them apart from real ones, so the mismatch can be explained.
 */

const FIELDS: { lo: number; hi: number; names?: string[] }[] = [
  { lo: 0, hi: 59 },
  { lo: 0, hi: 23 },
  { lo: 1, hi: 31 },
  { lo: 1, hi: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { lo: 0, hi: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** The values one field fires on, or undefined when it cannot be read. */
function expand(field: string, i: number): Set<number> | undefined {
  const { lo, hi, names } = FIELDS[i];
  const value = (v: string): number | undefined => {
    const named = names?.indexOf(v.toLowerCase()) ?? -1;
    const n = named >= 0 ? named + lo : /^\d+$/.test(v) ? Number(v) : undefined;
    return n !== undefined && n >= lo && n <= hi ? n : undefined;
  };
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:\/(\d+))?$/i.exec(part);
    if (!m) return undefined;
    const from = m[1] === '*' ? lo : value(m[2]);
    const to = m[1] === '*' ? hi : m[3] !== undefined ? value(m[3]) : m[4] !== undefined ? hi : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (from === undefined || to === undefined || step < 1 || to < from) return undefined;
    // Sunday is both 0 and 7.
    for (let v = from; v <= to; v += step) out.add(i === 4 && v === 7 ? 0 : v);
  }
  return out;
}

/** A cron expression as what it means: the values of each field, and whether the two day fields restrict anything. */
function meaning(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const sets = fields.map(expand);
  if (sets.some((s) => s === undefined)) return undefined;
  // Cron fires when either day field matches if both are restricted, so `*` and `1-31` are not the same thing.
  const restricted = [fields[2], fields[4]].map((f) => (f.startsWith('*') ? '*' : 'r'));
  return JSON.stringify([...sets.map((s) => [...s!].sort((a, b) => a - b)), restricted]);
}

/** Whether two cron expressions fire at the same times, however they are written. */
export function sameSchedule(a: string, b: string): boolean {
  const ma = meaning(a);
  return ma !== undefined && ma === meaning(b);
}
