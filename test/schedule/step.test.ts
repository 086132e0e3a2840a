// Schedules as data: JSON round trips, validation errors that name the step, loop renaming, and
// replay (the same JSON applied twice gives the same kernel).
import { describe, expect, it } from 'vitest';
import { printFunc } from '../../src/ir/tensor/print.ts';
import { parseFunc } from '../../src/ir/tensor/text/parser.ts';
import { applySchedule, applyStep, uniqueLoopNames } from '../../src/schedule/apply.ts';
import { ScheduleError } from '../../src/schedule/error.ts';
import { STEP_KINDS, type Step, parseSchedule, scheduleToJson, stepText } from '../../src/schedule/step.ts';
import { TsccError } from '../../src/util/errors.ts';
import { MATMUL_64, SOFTMAX } from './kernels.tir.ts';

const EVERY_KIND: Step[] = [
  { kind: 'split', loop: 'i', factor: 4 },
  { kind: 'tile', loops: ['i', 'j'], factors: [4, 2] },
  { kind: 'reorder', loops: ['j', 'i'] },
  { kind: 'fuse', outer: 'i', inner: 'j' },
  { kind: 'unroll', loop: 'k' },
  { kind: 'vectorize', loop: 'j' },
  { kind: 'parallel', loop: 'i' },
  { kind: 'bind', loop: 'i', axis: 'threadIdx.y' },
  { kind: 'cache_read', buffer: 'A', scope: 'shared', at: 'k' },
  { kind: 'cache_write', buffer: 'C', scope: 'accumulator', at: 'j' },
  { kind: 'compute_at', buffer: 'T', at: 'i' },
  { kind: 'inline', buffer: 'T' },
  { kind: 'double_buffer', buffer: 'A.shared' },
  { kind: 'tensorize', loop: 'i', intrinsic: 'mac' },
];

function schedError(f: () => unknown): ScheduleError {
  try { f(); } catch (e) {
    expect(e).toBeInstanceOf(ScheduleError);
    expect(e).toBeInstanceOf(TsccError);
    expect((e as TsccError).code).toBe('E_SCHEDULE');
    return e as ScheduleError;
  }
  throw new Error('expected a ScheduleError');
}

describe('schedule JSON', () => {
  it('covers every step kind and round-trips', () => {
    expect(new Set(EVERY_KIND.map((s) => s.kind))).toEqual(new Set(STEP_KINDS));
    expect(parseSchedule(scheduleToJson(EVERY_KIND))).toEqual(EVERY_KIND);
    expect(parseSchedule(JSON.parse(scheduleToJson(EVERY_KIND)))).toEqual(EVERY_KIND);
  });

  it('prints steps as calls', () => {
    expect(EVERY_KIND.map(stepText)).toContain('cache_read(A, shared, k)');
    expect(stepText({ kind: 'tile', loops: ['i', 'j'], factors: [4, 2] })).toBe('tile(i, j, 4, 2)');
  });

  it.each([
    ['not json', '[{'],
    ['not a list', '{"kind":"split"}'],
    ['unknown kind', '[{"kind":"skew","loop":"i"}]'],
    ['unknown field', '[{"kind":"unroll","loop":"i","factor":2}]'],
    ['zero factor', '[{"kind":"split","loop":"i","factor":0}]'],
    ['fractional factor', '[{"kind":"split","loop":"i","factor":1.5}]'],
    ['string factor', '[{"kind":"split","loop":"i","factor":"2"}]'],
    ['missing loop', '[{"kind":"split","factor":2}]'],
    ['bad axis', '[{"kind":"bind","loop":"i","axis":"warp.x"}]'],
    ['global scope', '[{"kind":"cache_read","buffer":"A","scope":"global","at":"k"}]'],
    ['unknown intrinsic', '[{"kind":"tensorize","loop":"i","intrinsic":"conv_tile"}]'],
    ['one tile factor', '[{"kind":"tile","loops":["i","j"],"factors":[2]}]'],
    ['reorder of a name', '[{"kind":"reorder","loops":"i"}]'],
  ])('rejects %s with a coded error', (_, json) => {
    const e = schedError(() => parseSchedule(json));
    expect(e.message).toMatch(/^schedule( step \d+)?/);
  });

  it('names the step index', () => {
    const e = schedError(() => parseSchedule('[{"kind":"unroll","loop":"i"},{"kind":"split","loop":"i","factor":-3}]'));
    expect(e.message).toContain('schedule step 1');
    expect(e.message).toContain('-3');
  });
});

describe('applying schedules', () => {
  const gpu: Step[] = [
    { kind: 'tile', loops: ['i', 'j'], factors: [4, 4] },
    { kind: 'bind', loop: 'i_o', axis: 'blockIdx.y' },
    { kind: 'bind', loop: 'i_i', axis: 'threadIdx.y' },
    { kind: 'split', loop: 'k', factor: 4 },
  ];

  it('replays a schedule from its JSON to the same kernel', () => {
    const f = parseFunc(MATMUL_64);
    const direct = printFunc(applySchedule(f, gpu));
    expect(printFunc(applySchedule(f, parseSchedule(scheduleToJson(gpu))))).toBe(direct);
    expect(printFunc(applySchedule(parseFunc(MATMUL_64), gpu))).toBe(direct);
  });

  it('leaves the input function untouched', () => {
    const f = parseFunc(MATMUL_64);
    const before = printFunc(f);
    applySchedule(f, gpu);
    expect(printFunc(f)).toBe(before);
  });

  it('gives repeated loop names a suffix, in program order', () => {
    const f = parseFunc(SOFTMAX.replace(/\bi2\b/g, 'i').replace(/\bi3\b/g, 'i'));
    const names = printFunc(uniqueLoopNames(f)).match(/for (\w+)/g);
    expect(names).toEqual(['for i', 'for r', 'for i_1', 'for r2', 'for i_2', 'for j']);
    const unique = uniqueLoopNames(f);
    expect(uniqueLoopNames(unique)).toBe(unique);
    expect(applySchedule(f, [{ kind: 'parallel', loop: 'i_2' }])).toBeDefined();
  });

  it('refuses an ambiguous loop name when names were not made unique', () => {
    const f = parseFunc(SOFTMAX.replace(/\bi2\b/g, 'i'));
    expect(schedError(() => applyStep(f, { kind: 'unroll', loop: 'i' })).message).toContain('2 loops are named i');
  });
});
