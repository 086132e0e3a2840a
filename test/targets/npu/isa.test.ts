// The encoding: every opcode round-trips through words and through assembly text; the decoder rejects
// what the encoder cannot produce; fuzzed binaries (random words, and bit flips of real programs) only
// ever end in a clean Trap — never another exception, a hang or a silent wrong read.
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { rng } from '../../../src/runtime/random.ts';
import { randomInputs } from '../../helpers/check.ts';
import { assemble, disassemble, formatInstr, parseInstr, AsmError } from '../../../targets/npu/asm.ts';
import { BCAST, DT, INSTR_BYTES, ISA_VERSION, type Instr, MAGIC, Op, VF, decodeProgram, encodeProgram } from '../../../targets/npu/isa.ts';
import { loadConfig } from '../../../targets/npu/config.ts';
import { compileNpu } from '../../../targets/npu/npu.ts';
import { simulate } from '../../../targets/npu/sim/simulate.ts';
import { Trap } from '../../../targets/npu/sim/memory.ts';
import { initDram, runHost } from '../../../targets/npu/runtime.ts';
import { TEST_MODELS } from './models.ts';
import { qdqModel } from './qdq-model.ts';

const sample: Instr[] = [
  { op: Op.DMA_LD, core: 3, flags: 0, dt: DT.f16, fn: 0, a: { dram: 0xfffffffe, spad: 64, n0: 65535, n1: 2, n2: 3, pl0: 15, ph0: 1, pl1: 2, ph1: 0, s0: -7, s1: 2 ** 31 - 1, s2: -(2 ** 31) } },
  { op: Op.DMA_ST, core: 0, flags: 0, dt: DT.i32, fn: 0, a: { dram: 4, spad: 0, n0: 1, n1: 1, n2: 1, pl0: 0, ph0: 0, pl1: 0, ph1: 0, s0: 0, s1: 0, s2: 0 } },
  { op: Op.PRELOAD, core: 1, flags: 0, dt: DT.i8, fn: 0, a: { spad: 32, k: 16, n: 16, stride: 16 } },
  { op: Op.COMPUTE, core: 1, flags: 1, dt: DT.i8, fn: 0, a: { spad: 0, acc: 1024, m: 300, k: 16, astride: 16, cstride: 16 } },
  { op: Op.VEC, core: 2, flags: 0, dt: DT.f16, fn: VF.CLIP, a: { dst: 1, src0: 2, src1: 3, rows: 4, cols: 5, imm0: Math.fround(-0.1), imm1: 6, bcast: BCAST.imm } },
  { op: Op.VEC, core: 0, flags: 1, dt: DT.f16, fn: VF.IM2COL, a: { dst: 0, src: 64, k0: 9, kt: 18, p0: 100000, np: 49, y0: -3, prows: 5, pch: 2, pad: 0 } },
  { op: Op.VEC, core: 1, flags: 0, dt: DT.i8, fn: VF.IM2COL, a: { dst: 0, src: 64, k0: 0, kt: 9, p0: 0, np: 16, y0: 0, prows: 3, pch: 1, pad: -128 } },
  { op: Op.DMA_GATHER, core: 2, flags: 0, dt: DT.f16, fn: 0, a: { dram: 4096, spad: 256, idx: 64, count: 65535, n0: 768, rows: 50257, stride: 0xffffffff } },
  { op: Op.VEC, core: 0, flags: 1, dt: DT.i32, fn: VF.REQUANT, a: { dst: 0, src0: 64, src1: 128, rows: 16, cols: 16, imm0: -128, imm1: 0, bcast: BCAST.row } },
  { op: Op.VEC, core: 0, flags: 0, dt: DT.i8, fn: VF.DEQUANT, a: { dst: 0, src0: 64, src1: 0, rows: 1, cols: 32, imm0: Math.fround(0.02), imm1: 3, bcast: 0 } },
  { op: Op.VEC, core: 0, flags: 0, dt: DT.f16, fn: VF.SEL, a: { dst: 0, src0: 2, src1: 4, src2: 6, rows: 1, cols: 8 } },
  { op: Op.CFG, core: 0, flags: 0, dt: 0, fn: 0, a: { c: 3, ih: 224, iw: 224, kh: 7, kw: 7, sh: 2, sw: 2, dh: 1, dw: 1, pt: 3, pl: 3, oh: 112, ow: 112, cpad: 1 } },
  { op: Op.HOST, core: 0, flags: 0, dt: 0, fn: 0, a: { id: 12 } },
  { op: Op.BARRIER, core: 0, flags: 0, dt: 0, fn: 0, a: {} },
  { op: Op.HALT, core: 0, flags: 0, dt: 0, fn: 0, a: {} },
];

describe('npu ISA encoding', () => {
  it('round-trips every opcode through binary and text', () => {
    const bin = encodeProgram({ cores: 4, instrs: sample });
    expect(bin.byteLength).toBe(16 + sample.length * INSTR_BYTES);
    const back = decodeProgram(bin);
    expect(back.instrs).toEqual(sample);
    const text = disassemble(back);
    expect(Buffer.from(encodeProgram(assemble(text)))).toEqual(Buffer.from(bin));
    for (const ins of sample) expect(parseInstr(formatInstr(ins), 1)).toEqual(ins);
  });

  it('refuses values that do not fit and text that does not parse', () => {
    expect(() => encodeProgram({ cores: 1, instrs: [{ ...sample[2], a: { ...sample[2].a, k: 70000 } }] })).toThrow(/does not fit/);
    expect(() => assemble('gemm.preload c0 f16 spad=0 k=1 n=1 stride=1 bogus=2')).toThrow(AsmError);
    expect(() => assemble('vec.frobnicate c0 f16')).toThrow(/unknown vector function/);
    expect(() => assemble('dma.ld q0 f16')).toThrow(/core/);
  });

  it('rejects a bad header with a trap at instruction -1', () => {
    const cfg = loadConfig('edge16');
    const bin = encodeProgram({ cores: 1, instrs: [sample.find((x) => x.op === Op.HALT)!] });
    const bad = bin.slice(); new DataView(bad.buffer).setUint32(0, MAGIC ^ 1, true);
    expect(() => simulate(bad, cfg, { functional: false, dramBytes: 64 })).toThrow(Trap);
    const v2 = bin.slice(); new DataView(v2.buffer).setUint32(4, ISA_VERSION + 1, true);
    expect(() => simulate(v2, cfg, { functional: false, dramBytes: 64 })).toThrow(/version/);
  });
});

/** Runs a (possibly corrupted) program on data; anything but a clean Trap or normal end fails the test. */
function runsOrTraps(bin: Uint8Array, run: () => void): 'ok' | 'trap' {
  try { run(); return 'ok'; } catch (e) {
    if (e instanceof Trap) { expect(e.message).toMatch(/^NPU trap at instruction -?\d+: \S/); return 'trap'; }
    throw new Error(`not a clean trap (${bin.byteLength} bytes): ${(e as Error).stack}`);
  }
}

describe('npu fuzzing', () => {
  it('random words only trap', () => {
    const r = rng(7);
    const cfg = loadConfig('onnxim-tpuv4');
    let traps = 0;
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(r() * 20);
      const words = new Uint32Array(4 + n * 8);
      words.set([MAGIC, ISA_VERSION, 4, n]);
      for (let i = 4; i < words.length; i++) words[i] = r() < 0.5 ? Math.floor(r() * 2 ** 32) : Math.floor(r() * 64);
      // Bias towards legal opcodes so the fuzzing reaches the operand checks.
      for (let i = 0; i < n; i++) if (r() < 0.8) words[4 + i * 8] = [0x10, 0x11, 0x12, 0x20, 0x21, 0x30, 0x04, 0x02][Math.floor(r() * 8)] | (Math.floor(r() * 4) << 8) | ((r() < 0.5 ? 0 : Math.floor(r() * 47)) << 20) | ((r() < 0.7 ? 0 : Math.floor(r() * 4)) << 16);
      const bin = new Uint8Array(words.buffer);
      if (runsOrTraps(bin, () => simulate(bin, cfg, { functional: true, dramBytes: 1 << 16, maxInstrs: 1000 })) === 'trap') traps++;
    }
    expect(traps).toBe(300);
  });

  // tiny-cnn on edge16 (dynamic int8), tiny-gpt2 (dma.gather) and the QDQ model (i8 im2col, vec.requant).
  it('bit flips in generated programs run or trap cleanly, on data and in timing mode', async () => {
    const gpt = TEST_MODELS.find((x) => x.name === 'tiny-gpt2')!, q = await qdqModel();
    const progs = [
      { ...TEST_MODELS.find((x) => x.name === 'tiny-cnn')!, preset: 'edge16' },
      { ...gpt, preset: 'onnxim-tpuv4' },
      { name: 'qdq', bytes: q.bytes, inputs: q.inputs, preset: 'edge16' },
    ];
    const r = rng(11);
    const seen = { ok: 0, trap: 0 };
    for (const m of progs) {
      const model = loadOnnxBytes(m.bytes, { shapes: m.shapes });
      const cfg = loadConfig(m.preset);
      const c = compileNpu(model.graph, cfg);
      const inputs = randomInputs(m.bytes, { shapes: m.shapes, inputs: m.inputs });
      for (let t = 0; t < 20; t++) {
        const bin = c.bin.slice();
        const flips = 1 + Math.floor(r() * 3);
        for (let f = 0; f < flips; f++) {
          const bit = 128 + Math.floor(r() * (bin.byteLength - 16) * 8);
          bin[bit >> 3] ^= 1 << (bit & 7);
        }
        const run = () => simulate(bin, cfg, {
          functional: true, dramBytes: c.program.layout.bytes, maxInstrs: 100_000,
          init: (d) => initDram(d, c.program.layout, model.graph, inputs),
          host: (id, d) => { const h = c.program.host[id]; if (!h) throw new Trap(-1, `no host op ${id}`); runHost(d, c.program.layout, h.node, model.graph.opset); },
        });
        seen[runsOrTraps(bin, run)]++;
        runsOrTraps(bin, () => simulate(bin, cfg, { functional: false, dramBytes: c.program.layout.bytes }));
      }
    }
    expect(seen.trap).toBeGreaterThan(10);
  });
});
