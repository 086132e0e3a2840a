// One kernel: a graph node compiled to per-pseudo-channel command streams plus the data-movement
// description the runner needs (where the resident matrix goes in the banks, what the host buffer
// holds). Also runs a kernel: place, pack, simulate, unpack.
import type { Node } from '../../../src/ir/graph/graph.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { UnsupportedError, nodeRef } from '../../../src/util/errors.ts';
import type { Stream } from '../commands.ts';
import { decode16, encode16, encodeArray, type PimFormat } from '../fp.ts';
import { defaultGemvSchedule, gemvLayout, placeOf, type GemvLayout, type GemvProblem, type GemvSchedule } from '../layout.ts';
import type { PimConfig } from '../presets.ts';
import type { BankArray } from '../sim/functional.ts';
import { simulate, type SimStats } from '../sim/run.ts';
import { eltwiseHost, eltwiseLayout, emitEltwise, type EltwiseLayout } from './eltwise.ts';
import { Emitter } from './emit.ts';
import { emitGemv, gemvHostBytes, yAddr, type GemvHost } from './gemv.ts';
import { broadcastIndex, gemvProblems } from './ops.ts';

export interface GemvPart { readonly problem: GemvProblem; readonly layout: GemvLayout; readonly host: GemvHost }

export interface Program {
  readonly name: string;
  readonly op: string;
  readonly fmt: PimFormat;
  readonly gemv?: readonly GemvPart[];
  readonly eltwise?: EltwiseLayout;
  readonly hostBytes: number;
  readonly streams: readonly Stream[];
  /** DRAM rows per bank this kernel's resident data occupies (from layout rowBase). */
  readonly rowsUsed: number;
  /** Cycles the code generator scheduled (the simulator re-derives and checks them). */
  readonly cycles: number;
}

export interface CompileKernelOptions {
  readonly fmt: PimFormat;
  /** First free DRAM row in every bank (resident data of earlier kernels lies below). */
  readonly rowBase: number;
  /** Overrides the default GEMV schedule (the tuner's handle). */
  readonly schedule?: GemvSchedule;
}

export function compileKernel(cfg: PimConfig, node: Node, name: string, o: CompileKernelOptions): Program {
  const emitters = new Map<number, Emitter>();
  const emitterOf = (pc: number) => { let e = emitters.get(pc); if (!e) { e = new Emitter(cfg, o.fmt, pc); emitters.set(pc, e); } return e; };
  const done = (rest: Omit<Program, 'streams' | 'cycles' | 'name' | 'op' | 'fmt'>): Program => {
    const es = [...emitters.values()].sort((a, b) => a.pc - b.pc);
    const streams = es.map((e) => e.finish());
    return { name, op: node.op, fmt: o.fmt, streams, cycles: Math.max(0, ...es.map((e) => e.cycles)), ...rest };
  };
  if (node.op === 'Add' || node.op === 'Mul') {
    const E = node.outputs[0].type.shape.reduce<number>((p, d) => p * (d as number), 1);
    const l = eltwiseLayout(cfg, E, o.rowBase);
    emitEltwise(cfg, node.op === 'Add' ? 'ADDAB' : 'MULAB', l, emitterOf);
    return done({ eltwise: l, hostBytes: eltwiseHost(l).bytes, rowsUsed: l.rows });
  }
  const problems = gemvProblems(node);
  if (typeof problems === 'string') throw new UnsupportedError(`${nodeRef(node)}: ${problems}`);
  const parts: GemvPart[] = [];
  let row = o.rowBase, bytes = 0;
  for (const [i, p] of problems.entries()) {
    const layout = gemvLayout(cfg, p, o.schedule ?? defaultGemvSchedule(cfg, p, problems.length), row, i);
    const sz = gemvHostBytes(cfg, p, layout);
    const host = { x: bytes, bias: bytes + sz.x, y: bytes + sz.x + sz.bias };
    bytes += sz.x + sz.bias + sz.y;
    row += layout.S * layout.J;
    emitGemv(cfg, p, layout, host, emitterOf);
    parts.push({ problem: p, layout, host });
  }
  return done({ gemv: parts, hostBytes: bytes, rowsUsed: row - o.rowBase });
}

/** Writes the resident matrices of a GEMV kernel into the banks (weights, or a K/V cache). */
export function placeResident(cfg: PimConfig, prog: Program, inputs: readonly Tensor[], memory: (pc: number) => BankArray): void {
  for (const { problem: p, layout: l } of prog.gemv ?? []) {
    const src = inputs[p.w.input].toF32();
    const w = encodeArray(prog.fmt, p.w.scale === 1 ? src : src.map((v) => v * p.w.scale));
    for (let n = 0; n < p.N; n++) for (let k0 = 0; k0 < p.K; k0 += cfg.lanes) {
      const at = placeOf(cfg, l, n, k0);
      const row = memory(at.pc).row(at.bank, at.row);
      const k1 = Math.min(p.K, k0 + cfg.lanes);
      for (let k = k0; k < k1; k++) row[at.word + k - k0] = w[p.w.off + n * p.w.s0 + k * p.w.s1];
    }
  }
}

/** Fills the host buffer with the kernel's streamed operands (x chunks, bias, element-wise operands). */
export function packHost(cfg: PimConfig, prog: Program, inputs: readonly Tensor[], out: readonly number[]): DataView {
  const host = new DataView(new ArrayBuffer(prog.hostBytes));
  const put16 = (addr: number, v: number) => host.setUint16(addr, encode16(prog.fmt, v), true);
  if (prog.eltwise) {
    const h = eltwiseHost(prog.eltwise);
    [h.a, h.b].forEach((base, i) => {
      const t = inputs[i].toF32(), map = broadcastIndex(out, inputs[i].shape);
      for (let e = 0; e < map.length; e++) put16(base + 2 * e, t[map[e]]);
    });
  }
  for (const { problem: p, layout: l, host: h } of prog.gemv ?? []) {
    const x = inputs[p.x.input].toF32();
    for (let m = 0; m < p.M; m++) for (let k = 0; k < p.K; k++) {
      const cv = Math.floor(k / cfg.lanes), part = Math.floor(cv / l.Kcp), cvl = cv - part * l.Kcp;
      const j = Math.floor(cvl / cfg.columns), col = cvl % cfg.columns;
      const addr = h.x + (((part * l.J + j) * p.M + m) * cfg.columns + col) * 32 + 2 * (k % cfg.lanes);
      put16(addr, x[p.x.off + m * p.x.s0 + k * p.x.s1] * p.x.scale);
    }
    if (p.bias) {
      const b = inputs[p.bias.input].toF32();
      for (let m = 0; m < p.M; m++) for (let n = 0; n < p.N; n++) {
        const g = n % l.G, s = Math.floor(n / l.G), pc = Math.floor(g / l.B);
        put16(h.bias + ((pc * l.S + s) * p.M + m) * 32 + 2 * (g % l.B), b[p.bias.off + m * p.bias.s0 + n * p.bias.s1] * p.bias.scale);
      }
    }
  }
  return host;
}

/** Reads the kernel's result out of the host buffer, adding k-split partial sums in part order. */
export function unpackHost(cfg: PimConfig, prog: Program, host: DataView, out: Float32Array): void {
  if (prog.eltwise) {
    const base = eltwiseHost(prog.eltwise).out;
    for (let e = 0; e < out.length; e++) out[e] = decode16(prog.fmt, host.getUint16(base + 2 * e, true));
  }
  for (const { problem: p, layout: l, host: h } of prog.gemv ?? []) {
    for (let m = 0; m < p.M; m++) for (let n = 0; n < p.N; n++) {
      const g = n % l.G, s = Math.floor(n / l.G);
      let sum = 0;
      for (let part = 0; part < l.schedule.kSplit; part++) {
        const pc = part * l.Pp + Math.floor(g / l.B);
        sum = Math.fround(sum + host.getFloat32(yAddr(p, l, h, pc, s, m) + 4 * (g % l.B), true));
      }
      out[p.y.off + m * p.y.s0 + n * p.y.s1] = sum;
    }
  }
}

/** Runs one kernel on the simulator: place resident data, pack the host buffer, simulate, unpack. */
export function runKernel(cfg: PimConfig, prog: Program, node: Node, inputs: readonly Tensor[], memory: (pc: number) => BankArray): { output: Tensor; stats: SimStats } {
  const y = node.outputs[0];
  const shape = y.type.shape as number[];
  placeResident(cfg, prog, inputs, memory);
  const host = packHost(cfg, prog, inputs, shape);
  const stats = simulate(cfg, prog.streams, memory, host);
  const out = new Float32Array(shape.reduce((p, d) => p * d, 1));
  unpackHost(cfg, prog, host, out);
  return { output: Tensor.fromNumbers(y.type.dtype, shape, out), stats };
}
