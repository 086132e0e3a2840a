// Parsing the search budget flags.
import { describe, expect, it } from 'vitest';
import { describeBudget, meetsFloor, parseAccuracy, parseLatency, parseSize } from '../../src/quant/budget.ts';

describe('budget flags', () => {
  it('accuracy floors', () => {
    expect(parseAccuracy('sqnr>=30')).toEqual({ metric: 'sqnr', min: 30 });
    expect(parseAccuracy(' SQNR >= 27.5dB ')).toEqual({ metric: 'sqnr', min: 27.5 });
    expect(parseAccuracy('top1>=99%')).toEqual({ metric: 'top1', min: 0.99 });
    expect(parseAccuracy('top1>=0.995')).toEqual({ metric: 'top1', min: 0.995 });
    for (const bad of ['sqnr>30', 'acc>=3', 'top1>=101%', 'sqnr>=30%', '']) expect(() => parseAccuracy(bad)).toThrow(/--accuracy/);
  });
  it('size and latency targets', () => {
    expect(parseSize('1.5MB')).toEqual({ bytes: 1_500_000 });
    expect(parseSize('800KiB')).toEqual({ bytes: 819_200 });
    expect(parseSize('40%')).toEqual({ fraction: 0.4 });
    expect(parseSize('1234')).toEqual({ bytes: 1234 });
    expect(() => parseSize('big')).toThrow(/--size/);
    expect(parseLatency('200000')).toBe(200000);
    expect(() => parseLatency('fast')).toThrow(/--latency/);
    expect(describeBudget({ accuracy: parseAccuracy('top1>=99%'), size: { fraction: 0.4 } })).toBe('top1>=99.00%, size<=40%');
  });
  it('floors against metrics', () => {
    const m = { sqnr: 31, mse: 0, top1: 0.985 };
    expect(meetsFloor(m, parseAccuracy('sqnr>=30'))).toBe(true);
    expect(meetsFloor(m, parseAccuracy('top1>=99%'))).toBe(false);
    expect(() => meetsFloor({ ...m, top1: null }, parseAccuracy('top1>=99%'))).toThrow(/no classifier output/);
  });
});
