/**
 * "Did you mean …?" for words people type into labels, commands, inputs and config keys. Case is ignored; a swap of
 * two neighbouring letters counts as one slip, as it is one slip of the fingers.
 */

/** Edits (insert, delete, replace, swap of neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // d[i][j]: distance between the first i letters of s and the first j of t.
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/**
 * How many slips a word of this length may carry and still be read as a typo: none for three letters or fewer
 * ("fit" is a word, not a typo of "fix"), one up to seven ("export" is a word, two slips from "explore"), two up to
 * eleven, then three.
 */
export function slipsAllowed(word: string): number {
  const n = word.length;
  return n <= 3 ? 0 : n <= 7 ? 1 : n < 12 ? 2 : 3;
}

/**
 * The candidate `word` was most likely meant as, or undefined when none is close enough. An exact match that
 * differs only in case counts (it is what the person meant); ties go to the earlier candidate.
 */
export function closest(word: string, candidates: Iterable<string>, maxSlips = slipsAllowed(word)): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const distance = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, c);
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return bestDistance <= maxSlips ? best : undefined;
}
