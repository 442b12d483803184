/**
 * Small statistics and number formatting for benchmark reports.
 * @packageDocumentation
 */

/** The median of `values` (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Medians per key over several rounds of `{ key: value }` results; keys missing in a round are skipped. */
export function medianByKey(rounds: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const byKey = new Map<string, number[]>();
  for (const round of rounds) {
    for (const [k, v] of Object.entries(round)) {
      const list = byKey.get(k);
      if (list) list.push(v);
      else byKey.set(k, [v]);
    }
  }
  const out: Record<string, number> = {};
  for (const [k, list] of byKey) out[k] = median(list);
  return out;
}

/** `5.21 M`, `812 k`, `97.3`: three significant digits with an SI suffix. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${sig3(n / 1e9)} G`;
  if (abs >= 1e6) return `${sig3(n / 1e6)} M`;
  if (abs >= 1e3) return `${sig3(n / 1e3)} k`;
  return sig3(n);
}

/** `16 B`, `1 KiB`, `64 KiB`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${trim(n / (1 << 20))} MiB`;
  if (n >= 1 << 10) return `${trim(n / (1 << 10))} KiB`;
  return `${n} B`;
}

/** `16B`, `1KiB`, `64KiB`: a byte size fit for a case name or JSON key. */
export function bytesKey(n: number): string {
  return formatBytes(n).replace(' ', '');
}

/** `12.3x` */
export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x` : '-';
}

/** A number rounded for display with three significant digits (no exponent form). */
export function sig3(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
