/**
 * 31204 → "31,204", the same on every runner. Not `toLocaleString`: its first call loads ICU data (~25 ms),
 * which would sit right before the first model request.
 */
export function formatInt(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Dollars with 4 decimals: a fix costs cents, and a receipt must add up to $0.0001. */
export function formatUsd(n: number): string {
  return `$${n.toFixed(4)}`;
}

export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  return `${Math.round((part / whole) * 100)}%`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m ${String(s % 60).padStart(2, '0')}s`;
}
