// The simulator on hand-written assembly: exact timing of the ONNXim cost model, functional results of
// a small GEMM in both precisions, and traps that name the instruction and the reason.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../targets/npu/asm.ts';
import { encodeProgram, Op } from '../../../targets/npu/isa.ts';
import { loadConfig, parseConfig } from '../../../targets/npu/config.ts';
import { simulate, type SimOptions } from '../../../targets/npu/sim/simulate.ts';
import { Trap, type Memory } from '../../../targets/npu/sim/memory.ts';
import { writeNumbers } from '../../../targets/npu/runtime.ts';
import { TargetError } from '../../../src/util/errors.ts';

const edge = loadConfig('edge16');
const bin = (text: string) => encodeProgram(assemble(text));
const run = (text: string, o: Partial<SimOptions> = {}, cfg = edge) => simulate(bin(text), cfg, { functional: true, dramBytes: 4096, ...o });

// A[4×16] · B[16×16] with B stationary; DRAM: B at 0, A at 1024, C written back at 2048.
const gemm = (dt: 'f16' | 'i8', acc: 'f32' | 'i32') => `.cores 1
dma.ld c0 ${dt} dram=0 spad=0 n0=256 n1=1 n2=1 s0=1 s1=0 s2=0
dma.ld c0 ${dt} dram=1024 spad=1024 n0=16 n1=4 n2=1 s0=1 s1=16 s2=0
gemm.preload c0 ${dt} spad=0 k=16 n=16 stride=16
gemm.compute c0 ${dt} spad=1024 acc=0 m=4 k=16 astride=16 cstride=16
vec.mvout c0 ${acc} dst=4096 src0=0 rows=4 cols=16 src1=0 imm0=0.5 imm1=0 bcast=0
dma.st c0 f16 dram=2048 spad=4096 n0=64 n1=1 n2=1 s0=1 s1=0 s2=0
halt c0 f16
`;

function fill(dt: 'f16' | 'i8') {
  const A = Array.from({ length: 64 }, (_, i) => ((i * 7) % 11) - 5), B = Array.from({ length: 256 }, (_, i) => ((i * 5) % 9) - 4);
  return {
    A, B,
    init: (m: Memory) => { writeNumbers(m, { addr: 0, dt }, B); writeNumbers(m, { addr: 1024, dt }, A); },
    expected: Array.from({ length: 64 }, (_, k) => { const r = k >> 4, c = k & 15; let s = 0; for (let j = 0; j < 16; j++) s += A[r * 16 + j] * B[j * 16 + c]; return s * 0.5; }),
  };
}

describe('npu simulator', () => {
  for (const [dt, acc] of [['f16', 'f32'], ['i8', 'i32']] as const) {
    it(`computes a ${dt} GEMM tile with ${acc} accumulation`, () => {
      const f = fill(dt);
      const r = run(gemm(dt, acc), { init: f.init });
      const out = Array.from({ length: 64 }, (_, k) => { const h = r.dram!.u16[(2048 >> 1) + k]; return h; });
      const { F16 } = { F16: new Float32Array(65536).map((_, h) => { const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023; return e === 0 ? s * m * 2 ** -24 : e === 31 ? NaN : s * (1 + m / 1024) * 2 ** (e - 15); }) };
      expect(out.map((h) => F16[h])).toEqual(f.expected);
      expect(r.macs).toBe(4 * 16 * 16);
    });
  }

  it('times the array like ONNXim: cold preload H+2H−1, compute H+W−2+max(m,4), next issue after max(m,4)', () => {
    const f = fill('f16');
    const times: { op: number; start: number; done: number }[] = [];
    run(`.cores 1
dma.ld c0 f16 dram=0 spad=0 n0=256 n1=1 n2=1 s0=1 s1=0 s2=0
dma.ld c0 f16 dram=1024 spad=1024 n0=16 n1=4 n2=1 s0=1 s1=16 s2=0
gemm.preload c0 f16 spad=0 k=16 n=16 stride=16
gemm.compute c0 f16 spad=1024 acc=0 m=2 k=16 astride=16 cstride=16
gemm.compute c0 f16 spad=1024 acc=1024 m=4 k=16 astride=16 cstride=16 flags=0
gemm.preload c0 f16 spad=0 k=16 n=16 stride=16
gemm.compute c0 f16 spad=1024 acc=1024 m=4 k=16 astride=16 cstride=16 flags=1
halt c0 f16
`, { init: f.init, trace: (_c, op, _fn, start, done) => times.push({ op, start, done }) });
    const [, , pre, c1, c2, pre2, c3] = times;
    const H = 16, W = 16;
    expect(pre.done - pre.start).toBe(H + 2 * H - 1);
    expect(c1.start).toBe(pre.done);
    expect(c1.done - c1.start).toBe(H + W - 2 + 4);
    expect(c2.start - c1.start).toBe(4);
    expect(pre2.start - c2.start).toBe(4);
    expect(pre2.done - pre2.start).toBe(H); // warm: the array is still busy
    expect(c3.done - c3.start).toBe(H + W - 2 + 4);
    expect(times.every((t) => t.op !== Op.HALT)).toBe(true);
  });

  it('costs vector ops ⌈n/lanes⌉ × latency and DMA in 32-byte requests', () => {
    const f = fill('f16');
    const times: number[] = [];
    const r = run(`.cores 1
dma.ld c0 f16 dram=0 spad=0 n0=256 n1=1 n2=1 s0=1 s1=0 s2=0
vec.exp c0 f16 dst=1024 src0=0 rows=16 cols=16 src1=0 imm0=0 imm1=0 bcast=0
vec.add c0 f16 dst=2048 src0=0 rows=4 cols=5 src1=0 imm0=1 imm1=0 bcast=4
halt c0 f16
`, { init: f.init, trace: (_c, _op, _fn, s, d) => times.push(d - s) });
    expect(times[1]).toBe(Math.ceil(256 / edge.lanes) * edge.latency.exp);
    expect(times[2]).toBe(Math.ceil(20 / edge.lanes) * edge.latency.add);
    expect(r.dramRequests).toBe(256 * 2 / 32);
    expect(r.dramBytes).toBe(512);
  });

  const traps: [string, string, RegExp][] = [
    ['illegal opcode', '', /instruction 0: illegal opcode 0x7f/],
    ['scratchpad out of range', 'dma.ld c0 f16 dram=0 spad=262140 n0=16 n1=1 n2=1 s0=1 s1=0 s2=0\nhalt c0 f16', /instruction 0: DMA load: core 0 scratchpad address range/],
    ['read of unwritten DRAM', 'dma.ld c0 f16 dram=64 spad=0 n0=16 n1=1 n2=1 s0=1 s1=0 s2=0\nhalt c0 f16', /instruction 0: DMA load: read of unwritten DRAM byte 64/],
    ['read of unwritten scratchpad', 'vec.relu c0 f16 dst=0 src0=512 rows=1 cols=4 src1=0 imm0=0 imm1=0 bcast=0\nhalt c0 f16', /instruction 0: vector read: read of unwritten core 0 scratchpad/],
    ['compute with no weights', 'gemm.compute c0 f16 spad=0 acc=0 m=1 k=1 astride=1 cstride=1\nhalt c0 f16', /instruction 0: compute with no preloaded weights/],
    ['preload bigger than the array', 'gemm.preload c0 f16 spad=0 k=17 n=16 stride=16\nhalt c0 f16', /instruction 0: preload of 17x16 on a 16x16 array/],
    ['no halt', 'nop c0 f16', /instruction 1: ran past the end/],
    ['core that does not exist', 'barrier c1 f16\nhalt c0 f16', /instruction 0: core 1 does not exist/],
  ];
  for (const [what, text, re] of traps) {
    it(`traps on ${what}`, () => {
      let b = bin(`.cores 1\n${text}`);
      if (what === 'illegal opcode') { b = encodeProgram({ cores: 1, instrs: [{ op: Op.HALT, core: 0, flags: 0, dt: 0, fn: 0, a: {} }] }); b[16] = 0x7f; }
      expect(() => simulate(b, edge, { functional: true, dramBytes: 4096 })).toThrow(Trap);
      expect(() => simulate(b, edge, { functional: true, dramBytes: 4096 })).toThrow(re);
    });
  }
});

describe('npu config', () => {
  it('loads presets, ONNXim-style files and rejects bad ones', () => {
    const t = loadConfig(undefined);
    expect([t.name, t.cores, t.H, t.W, t.spadBytes, t.accBytes, t.dramChannels, t.dataType]).toEqual(['onnxim-tpuv4', 4, 128, 128, 32 << 20, 4 << 20, 16, 'f16']);
    expect(loadConfig('edge16').dataType).toBe('int8');
    const dir = mkdtempSync(join(tmpdir(), 'npu-cfg-'));
    const file = join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify({ num_cores: 2, core_freq: 1000, dram_freq: 1200, dram_channels: 4, core_config: { core_0: { core_width: 8, core_height: 8, spad_size: 64, accum_spad_size: 16, vector_process_bit: 256 } } }));
    const c = loadConfig(file);
    expect([c.cores, c.H, c.spadBytes, c.lanes, c.dataType]).toEqual([2, 8, 65536, 16, 'f16']);
    expect(() => loadConfig('nope')).toThrow(TargetError);
    expect(() => parseConfig({ num_cores: 1 }, 'x.json')).toThrow(/core_height/);
  });
});

describe('npu DMA padding', () => {
  it('zero-pads a loaded plane without reading DRAM outside it, and counts only the window', () => {
    const plane = Array.from({ length: 6 }, (_, i) => i + 1); // 2×3 at DRAM 64
    const r = run(`.cores 1
dma.ld c0 f16 dram=64 spad=0 n0=5 n1=4 n2=1 pl0=1 ph0=1 pl1=1 ph1=1 s0=1 s1=3 s2=0
dma.st c0 f16 dram=1024 spad=0 n0=20 n1=1 n2=1 s0=1 s1=0 s2=0
halt c0 f16
`, { init: (m) => writeNumbers(m, { addr: 64, dt: 'f16' }, plane) });
    const out = Array.from({ length: 20 }, (_, k) => r.dram!.u16[512 + k]);
    const one = 0x3c00; // f16 1.0; values 1..6 are small integers, compare decoded
    expect(out.filter((h) => h === 0).length).toBe(14);
    expect(out[6]).toBe(one);
    expect(r.dramBytes).toBe(6 * 2 + 20 * 2);
    expect(() => run('.cores 1\ndma.st c0 f16 dram=0 spad=0 n0=1 n1=1 n2=1 pl0=1 ph0=0 pl1=0 ph1=0 s0=1 s1=0 s2=0\nhalt c0 f16')).toThrow(/padding on a DMA store/);
  });
});

describe('npu vector unit', () => {
  it('mac accumulates into the destination with a column-broadcast operand', () => {
    const r = run(`.cores 1
dma.ld c0 f16 dram=64 spad=0 n0=6 n1=1 n2=1 s0=1 s1=0 s2=0
dma.ld c0 f16 dram=64 spad=64 n0=3 n1=1 n2=1 s0=1 s1=0 s2=0
dma.ld c0 f16 dram=64 spad=128 n0=6 n1=1 n2=1 s0=1 s1=0 s2=0
vec.mac c0 f16 dst=128 src0=0 rows=2 cols=3 src1=64 imm0=0 imm1=0 bcast=2
dma.st c0 f16 dram=1024 spad=128 n0=6 n1=1 n2=1 s0=1 s1=0 s2=0
halt c0 f16
`, { init: (m) => writeNumbers(m, { addr: 64, dt: 'f16' }, [1, 2, 3, 4, 5, 6]) });
    const f16 = (h: number) => { const e = (h >> 10) & 31, m = h & 1023; return (1 + m / 1024) * 2 ** (e - 15); };
    // dst[r][c] = x[r][c] + x[r][c]·x[c]  (x = 1…6 as 2×3, column operand 1,2,3)
    expect(Array.from({ length: 6 }, (_, k) => f16(r.dram!.u16[512 + k]))).toEqual([2, 6, 12, 8, 15, 24]);
  });
});
