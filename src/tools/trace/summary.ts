/**
 * The summary printed when a trace ends: per connection and channel, frames and bytes per method,
 * publishes still unconfirmed and deliveries still unacked, flags, and p50/p99 of confirm
 * latency, hold time and round trip.
 * @packageDocumentation
 */
import type { ChannelStats } from './links.js';

/** The value at quantile `q` (0..1) of `values` (nearest rank); NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function latency(label: string, values: readonly number[]): string | null {
  if (values.length === 0) return null;
  const f = (n: number): string => `${n.toFixed(2)} ms`;
  return `${label} p50 ${f(percentile(values, 0.5))} p99 ${f(percentile(values, 0.99))} (n=${values.length})`;
}

/** One connection's counts, as the summary takes them. */
export interface ConnectionSummary {
  readonly conn: number;
  readonly label: string;
  readonly channels: readonly ChannelStats[];
}

/** The summary as text lines. */
export function formatSummary(conns: readonly ConnectionSummary[]): string[] {
  const out: string[] = ['--- trace summary ---'];
  if (conns.length === 0) out.push('no connections');
  for (const c of conns) {
    out.push(`#${c.conn} ${c.label}`);
    for (const ch of c.channels) {
      const frames = [...ch.methods.values()].reduce((n, m) => n + m.frames, 0);
      const bytes = [...ch.methods.values()].reduce((n, m) => n + m.bytes, 0);
      out.push(`  ch${ch.channel}: ${frames} frames, ${bytes} B; unconfirmed ${ch.unconfirmed}, unacked ${ch.unacked}, flags ${ch.flags.length}`);
      const methods = [...ch.methods.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
      for (const [name, m] of methods) out.push(`    ${name.padEnd(24)} ${String(m.frames).padStart(8)} frames ${String(m.bytes).padStart(12)} B`);
      for (const line of [latency('confirm latency', ch.confirmLatency), latency('hold time', ch.holdTime), latency('round trip', ch.roundTrip)]) {
        if (line !== null) out.push(`    ${line}`);
      }
      for (const f of ch.flags) out.push(`    !! ${f}`);
    }
  }
  return out;
}

/** The summary as plain data (for `--json`). */
export function summaryJson(conns: readonly ConnectionSummary[]): Record<string, unknown> {
  const lat = (v: readonly number[]): Record<string, number> | null => (v.length === 0 ? null : { p50: percentile(v, 0.5), p99: percentile(v, 0.99), n: v.length });
  return {
    summary: conns.map((c) => ({
      conn: c.conn,
      label: c.label,
      channels: c.channels.map((ch) => ({
        channel: ch.channel,
        methods: Object.fromEntries(ch.methods),
        unconfirmed: ch.unconfirmed,
        unacked: ch.unacked,
        confirmLatency: lat(ch.confirmLatency),
        holdTime: lat(ch.holdTime),
        roundTrip: lat(ch.roundTrip),
        flags: ch.flags,
      })),
    })),
  };
}
