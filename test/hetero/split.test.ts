// Balanced operator splitting: uneven column blocks compute what the MatMul did, the block sizes follow
// the two devices' costs (and not at all when a shared HBM serializes them), and a plan with the two
// blocks on NPU and PIM matches onnxruntime.
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { executePlan } from '../../src/driver/hetero/execute.ts';
import { prepareHetero, realize } from '../../src/driver/hetero/index.ts';
import { balancedSplits } from '../../src/driver/hetero/balance.ts';
import { scheduledSegments } from '../../src/driver/hetero/plan.ts';
import { fromAssignment, type Cost } from '../../passes/partition/index.ts';
import { splitMatMulsBy } from '../../passes/partition/split.ts';
import { gpt2Decode, GPT2_TINY } from '../../models/zoo/gpt2-decode.ts';
import { randomInputs } from '../helpers/check.ts';

const decode = gpt2Decode(GPT2_TINY);
const model = loadOnnxBytes(decode.bytes);
/** The MLP's first MatMul (32 → 128 columns). */
const fc1 = model.graph.nodes.find((n) => n.op === 'MatMul' && n.inputs[1]?.constant?.shape[1] === 4 * GPT2_TINY.width)!;

describe('balanced operator splitting', () => {
  it('uneven column blocks + Concat compute the same as the MatMul', () => {
    const split = splitMatMulsBy(model.graph, new Map([[fc1.name, [48, 80]]]));
    expect(split.nodes.find((n) => n.name === `${fc1.name}__part1`)!.inputs[1]!.type.shape).toEqual([32, 80]);
    const inputs = randomInputs(decode.bytes, { inputs: decode.inputs });
    const a = runGraph(model.graph, inputs), b = runGraph(split, inputs);
    for (const k of Object.keys(a)) expect(compareTensors(k, b[k], a[k], 1e-6).ok, k).toBe(true);
    // Widths that do not add up to N leave the node whole.
    expect(splitMatMulsBy(model.graph, new Map([[fc1.name, [48, 48]]])).nodes.length).toBe(model.graph.nodes.length);
  });

  it('sizes the blocks by the two devices costs, and not at all when one shared memory serves both', () => {
    const row = (npu: number, pim: number) => new Map<string, Cost>([['npu', { ms: npu, source: 'simulated' }], ['pim', { ms: pim, source: 'simulated' }]]);
    const costs = new Map(model.graph.nodes.map((n) => [n.name, n === fc1 ? row(3, 1) : row(1, Infinity)] as const));
    const b = balancedSplits(model.graph, costs, ['npu', 'pim'], undefined, { minWeightBytes: 0, quantum: 16 });
    // PIM 3× faster: ¾ of the columns on PIM (96 of 128), ¼ on the NPU.
    expect([...b.widths]).toEqual([[fc1.name, [96, 32]]]);
    expect(b.prefer.get(`${fc1.name}__part0`)).toBe('pim');
    expect(b.prefer.get(`${fc1.name}__part1`)).toBe('npu');
    // With the NPU memory-bound on a shared HBM (busy all its 3 ms), splitting cannot beat PIM alone.
    const occupancy = new Map([[fc1.name, new Map([['npu', 3], ['pim', 1]])]]);
    expect(balancedSplits(model.graph, costs, ['npu', 'pim'], { devices: ['npu', 'pim'], occupancy }, { minWeightBytes: 0, quantum: 16 }).widths.size).toBe(0);
  });

  it('a plan with the blocks on NPU and PIM matches onnxruntime', async () => {
    const prep = await prepareHetero(model, { target: 'hetero:npu,pim', split: { parts: 2, widths: new Map([[fc1.name, [48, 80]]]) } });
    const p = prep.result.dp.problem;
    const assign = prep.result.dp.assign.slice();
    const part = (k: number) => p.names.indexOf(`${fc1.name}__part${k}`);
    assign[part(0)] = p.devices.indexOf('npu');
    assign[part(1)] = p.devices.indexOf('pim');
    const forced = fromAssignment(p, assign, 'forced');
    // Cutting before remote reads: with PIM's block started first, the NPU block and the Concat
    // (which reads PIM's block) would share a segment that waits for PIM; the cut separates them.
    const g = prep.graph, i1 = g.nodes.findIndex((n) => n.name === `${fc1.name}__part1`);
    const dev = (n: (typeof g.nodes)[number]) => (n.name === `${fc1.name}__part1` ? 'pim' : 'npu');
    const start = g.nodes.map((_, i) => (i === i1 ? -1 : i));
    const order = g.nodes.map((_, i) => i);
    const withPart0 = (cut: boolean) => scheduledSegments(g, dev, order, start, cut).find((s) => s.some((n) => n.name === `${fc1.name}__part0`))!;
    expect(withPart0(false).some((n) => n.name === `${fc1.name}__concat`)).toBe(true);
    expect(withPart0(true).some((n) => n.name === `${fc1.name}__concat`)).toBe(false);
    const { plan } = await realize(prep, forced);
    expect(new Set(plan.segments.filter((s) => s.nodes.some((n) => n.name.startsWith(`${fc1.name}__part`))).map((s) => s.device))).toEqual(new Set(['npu', 'pim']));
    const inputs = randomInputs(decode.bytes, { inputs: decode.inputs });
    const out = (await executePlan(prep.graph, plan, inputs)).outputs;
    const ref = await runOrt(decode.bytes, inputs, { optimization: 'disabled' });
    for (const [k, r] of Object.entries(ref)) expect(compareTensors(k, out[k], r, 1e-2).ok, k).toBe(true);
  }, 60_000);
});
