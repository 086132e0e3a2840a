// The user's budget for the precision search: an accuracy floor (`--accuracy sqnr>=30`, `top1>=99%`)
// and/or a size target (`--size 1.5MB`, `--size 40%` of the fp32 model) or a latency target in target
// cycles (`--latency 200000`).
import { UsageError } from '../util/errors.ts';
import type { OutputMetrics } from './sensitivity-metrics.ts';

export interface AccuracyFloor {
  readonly metric: 'sqnr' | 'top1';
  /** dB for sqnr, a fraction (0.99) for top1. */
  readonly min: number;
}

export interface Budget {
  readonly accuracy?: AccuracyFloor;
  /** Bytes, or a fraction of the fp32 model ({ fraction: 0.4 }). */
  readonly size?: { bytes: number } | { fraction: number };
  readonly latencyCycles?: number;
}

export function parseAccuracy(s: string): AccuracyFloor {
  const m = /^\s*(sqnr|top1)\s*>=\s*([0-9]*\.?[0-9]+)\s*(%|db)?\s*$/i.exec(s);
  if (!m) throw new UsageError(`--accuracy "${s}": expected sqnr>=DB (e.g. sqnr>=30) or top1>=PERCENT (e.g. top1>=99%)`);
  const metric = m[1].toLowerCase() as 'sqnr' | 'top1';
  const v = Number(m[2]), unit = m[3]?.toLowerCase();
  if (metric === 'sqnr') {
    if (unit === '%') throw new UsageError(`--accuracy "${s}": sqnr is in dB, not %`);
    return { metric, min: v };
  }
  if (unit === 'db') throw new UsageError(`--accuracy "${s}": top1 is a percentage`);
  const frac = unit === '%' || v > 1 ? v / 100 : v;
  if (!(frac > 0 && frac <= 1)) throw new UsageError(`--accuracy "${s}": top1 must be in (0, 100]%`);
  return { metric, min: frac };
}

export function parseSize(s: string): { bytes: number } | { fraction: number } {
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(%|b|kb|mb|gb|kib|mib|gib)?\s*$/i.exec(s);
  if (!m) throw new UsageError(`--size "${s}": expected bytes (2.5MB, 800KB, 123456) or a share of the fp32 model (40%)`);
  const v = Number(m[1]), unit = (m[2] ?? 'b').toLowerCase();
  if (unit === '%') {
    if (!(v > 0 && v <= 100)) throw new UsageError(`--size "${s}": a percentage must be in (0, 100]`);
    return { fraction: v / 100 };
  }
  const mult: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  return { bytes: Math.round(v * mult[unit]) };
}

export function parseLatency(s: string): number {
  const m = /^\s*([0-9]+)\s*(cycles)?\s*$/i.exec(s);
  if (!m) throw new UsageError(`--latency "${s}": expected a number of target cycles (e.g. 200000)`);
  return Number(m[1]);
}

export function meetsFloor(m: OutputMetrics, f: AccuracyFloor | undefined): boolean {
  if (!f) return true;
  if (f.metric === 'sqnr') return m.sqnr >= f.min;
  if (m.top1 === null) throw new UsageError('--accuracy top1>=…: the model has no classifier output ([N, C] with C > 1); use sqnr>=…');
  return m.top1 >= f.min;
}

export function describeBudget(b: Budget): string {
  const parts: string[] = [];
  if (b.accuracy) parts.push(b.accuracy.metric === 'sqnr' ? `sqnr>=${b.accuracy.min}dB` : `top1>=${(b.accuracy.min * 100).toFixed(2)}%`);
  if (b.size) parts.push('bytes' in b.size ? `size<=${b.size.bytes}B` : `size<=${(b.size.fraction * 100).toFixed(0)}%`);
  if (b.latencyCycles !== undefined) parts.push(`cycles<=${b.latencyCycles}`);
  return parts.join(', ') || 'none';
}
