// One kernel: a graph node compiled to per-pseudo-channel command streams plus the data-movement
// description the runner needs (where the resident matrix goes in the banks, what the host buffer
// holds). Also runs a kernel: place, pack, simulate, unpack. A quantized group (a Fused QDQ node,
// qdq.ts) runs its compute node in the precision choosePrecision picks, its conversions on the host.
import type { Node } from '../../../src/ir/graph/graph.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { UnsupportedError, nodeRef } from '../../../src/util/errors.ts';
import type { Stream } from '../commands.ts';
import { decode16, encode16, encodeArray, is16, type Pim16, type PimFormat } from '../fp.ts';
import { defaultGemvSchedule, gemvLayout, placeOf, type GemvLayout, type GemvProblem, type GemvSchedule } from '../layout.ts';
import type { PimConfig } from '../presets.ts';
import type { BankArray } from '../sim/functional.ts';
import { simulate, type SimStats } from '../sim/run.ts';
import { eltwiseHost, eltwiseLayout, emitEltwise, type EltwiseLayout } from './eltwise.ts';
import { Emitter } from './emit.ts';
import { emitGemv, gemvHostBytes, yAddr, type GemvHost } from './gemv.ts';
import { broadcastIndex, gemvProblems } from './ops.ts';
import { choosePrecision, matchQdqGemv, type QdqGemv } from './qdq.ts';
import { BodyEval, activationCodes, int8Readout, weightCodes } from './qdq-host.ts';

export interface GemvPart {
  readonly problem: GemvProblem; readonly layout: GemvLayout; readonly host: GemvHost;
  /** int8: the problem as the body states it (α, bias), which the host applies at read-out. */
  readonly readout?: GemvProblem;
}

export interface Program {
  readonly name: string;
  readonly op: string;
  /** The format the kernel ran in. */
  readonly fmt: PimFormat;
  /** The precision asked for (a quantized group's, else the target variant's), and why `fmt` differs. */
  readonly requested: string;
  readonly note?: string;
  /** A quantized group: its body's structure (host prologue and read-out). */
  readonly qdq?: QdqGemv;
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
  /** The format float nodes run in (one the preset's PU has; int8 is a quantized group's only). */
  readonly fmt: PimFormat;
  /** What the target variant asked for, when the preset substituted `fmt` for it (and why). */
  readonly requested?: string;
  readonly note?: string;
  /** First free DRAM row in every bank (resident data of earlier kernels lies below). */
  readonly rowBase: number;
  /** Overrides the default GEMV schedule (the tuner's handle). */
  readonly schedule?: GemvSchedule;
}

export function compileKernel(cfg: PimConfig, node: Node, name: string, o: CompileKernelOptions): Program {
  // A format the preset's PU lacks is substituted by its default one (and the report says so).
  const native = cfg.formats.includes(o.fmt) && is16(o.fmt);
  const float16: Pim16 = native ? o.fmt as Pim16 : cfg.formats.find(is16)!;
  let fmt: PimFormat = float16, requested = o.requested ?? o.fmt, qdq: QdqGemv | undefined;
  let note = o.note ?? (native ? undefined : `the ${cfg.name} PU has no ${o.fmt}`);
  if (node.body) {
    const m = matchQdqGemv(node);
    if (typeof m === 'string') throw new UnsupportedError(`${nodeRef(node)}: ${m}`);
    qdq = m;
    requested = m.requested;
    ({ fmt, note } = choosePrecision(cfg, m.requested, float16, m.int8Why));
  }
  const emitters = new Map<number, Emitter>();
  const emitterOf = (pc: number) => { let e = emitters.get(pc); if (!e) { e = new Emitter(cfg, fmt, pc); emitters.set(pc, e); } return e; };
  const done = (rest: Pick<Program, 'gemv' | 'eltwise' | 'hostBytes' | 'rowsUsed'>): Program => {
    const es = [...emitters.values()].sort((a, b) => a.pc - b.pc);
    const streams = es.map((e) => e.finish());
    const op = qdq ? `${qdq.compute.op} (${node.op})` : node.op;
    return { name, op, fmt, requested, ...(note ? { note } : {}), ...(qdq ? { qdq } : {}), streams, cycles: Math.max(0, ...es.map((e) => e.cycles)), ...rest };
  };
  if (node.op === 'Add' || node.op === 'Mul') {
    const E = node.outputs[0].type.shape.reduce<number>((p, d) => p * (d as number), 1);
    const l = eltwiseLayout(cfg, E, o.rowBase);
    emitEltwise(cfg, node.op === 'Add' ? 'ADDAB' : 'MULAB', l, emitterOf);
    return done({ eltwise: l, hostBytes: eltwiseHost(l).bytes, rowsUsed: l.rows });
  }
  const problems = gemvProblems(qdq?.compute ?? node);
  if (typeof problems === 'string') throw new UnsupportedError(`${nodeRef(node)}: ${problems}`);
  const parts: GemvPart[] = [];
  let row = o.rowBase, bytes = 0;
  for (const [i, stated] of problems.entries()) {
    // int8: the banks and buffer hold raw codes; α, the bias and the scales are the host's read-out.
    const p = fmt === 'int8' ? { ...stated, x: { ...stated.x, scale: 1 }, bias: undefined } : stated;
    const layout = gemvLayout(cfg, p, o.schedule ?? defaultGemvSchedule(cfg, p, problems.length, fmt), row, i, fmt);
    const sz = gemvHostBytes(cfg, p, layout);
    const host = { x: bytes, bias: bytes + sz.x, y: bytes + sz.x + sz.bias };
    bytes += sz.x + sz.bias + sz.y;
    row += layout.S * layout.J;
    emitGemv(cfg, p, layout, host, emitterOf);
    parts.push({ problem: p, layout, host, ...(fmt === 'int8' ? { readout: stated } : {}) });
  }
  return done({ gemv: parts, hostBytes: bytes, rowsUsed: row - o.rowBase });
}

/** Writes the resident matrices of a GEMV kernel into the banks (weights, or a K/V cache). */
export function placeResident(cfg: PimConfig, prog: Program, inputs: readonly Tensor[], memory: (pc: number) => BankArray): void {
  const fmt = prog.fmt;
  for (const { problem: p, layout: l } of prog.gemv ?? []) {
    const src = inputs[p.w.input].toF32();
    // int8: the weight codes themselves, two per 16-bit word (byte 2w in the low half).
    const w = fmt === 'int8' ? src : encodeArray(fmt, p.w.scale === 1 ? src : src.map((v) => v * p.w.scale));
    for (let n = 0; n < p.N; n++) for (let k0 = 0; k0 < p.K; k0 += l.E) {
      const at = placeOf(cfg, l, n, k0);
      const row = memory(at.pc).row(at.bank, at.row);
      const k1 = Math.min(p.K, k0 + l.E);
      for (let k = k0; k < k1; k++) {
        const v = w[p.w.off + n * p.w.s0 + k * p.w.s1], i = at.word + k - k0;
        if (fmt === 'int8') row[i >> 1] = i & 1 ? (row[i >> 1] & 0xff) | ((v & 0xff) << 8) : (row[i >> 1] & 0xff00) | (v & 0xff);
        else row[i] = v;
      }
    }
  }
}

/** Fills the host buffer with the kernel's streamed operands (x chunks, bias, element-wise operands). */
export function packHost(cfg: PimConfig, prog: Program, inputs: readonly Tensor[], out: readonly number[]): DataView {
  const host = new DataView(new ArrayBuffer(prog.hostBytes));
  const fmt = prog.fmt, eb = fmt === 'int8' ? 1 : 2;
  // int8: x holds the activation codes (u8) already; 16-bit formats round once into the format.
  const put16 = (addr: number, v: number) => (fmt === 'int8' ? host.setUint8(addr, v) : host.setUint16(addr, encode16(fmt, v), true));
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
      const cv = Math.floor(k / l.E), part = Math.floor(cv / l.Kcp), cvl = cv - part * l.Kcp;
      const j = Math.floor(cvl / cfg.columns), col = cvl % cfg.columns;
      const addr = h.x + (((part * l.J + j) * p.M + m) * cfg.columns + col) * 32 + eb * (k % l.E);
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

/**
 * Reads the kernel's result out of the host buffer, adding k-split partial sums in part order (fp32;
 * int8: exact int32 sums, hence `out` a Float64Array).
 */
export function unpackHost(cfg: PimConfig, prog: Program, host: DataView, out: Float32Array | Float64Array): void {
  const fmt = prog.fmt;
  if (prog.eltwise && fmt !== 'int8') {
    const base = eltwiseHost(prog.eltwise).out;
    for (let e = 0; e < out.length; e++) out[e] = decode16(fmt, host.getUint16(base + 2 * e, true));
  }
  for (const { problem: p, layout: l, host: h } of prog.gemv ?? []) {
    for (let m = 0; m < p.M; m++) for (let n = 0; n < p.N; n++) {
      const g = n % l.G, s = Math.floor(n / l.G);
      let sum = 0;
      for (let part = 0; part < l.schedule.kSplit; part++) {
        const pc = part * l.Pp + Math.floor(g / l.B);
        const at = yAddr(p, l, h, pc, s, m) + 4 * (g % l.B);
        sum = fmt === 'int8' ? (sum + host.getInt32(at, true)) | 0 : Math.fround(sum + host.getFloat32(at, true));
      }
      out[p.y.off + m * p.y.s0 + n * p.y.s1] = sum;
    }
  }
}

/** Runs one kernel on the simulator: place resident data, pack the host buffer, simulate, unpack. */
export function runKernel(cfg: PimConfig, prog: Program, node: Node, inputs: readonly Tensor[], memory: (pc: number) => BankArray): { output: Tensor; stats: SimStats } {
  const y = node.outputs[0];
  const shape = y.type.shape as number[];
  const q = prog.qdq;
  // A quantized group: the host evaluates the prologue (the PU's operands: codes for int8, else the
  // f32 values the body computes with, rounded once into the 16-bit format by packing).
  const ev = q && new BodyEval(node.body!, inputs);
  const none = new Tensor('f32', [0]);
  const ins = !q || !ev ? inputs
    : q.int8 && prog.fmt === 'int8' ? [activationCodes(q.int8, ev), weightCodes(q.int8, ev), q.compute.inputs[2] ? ev.value(q.compute.inputs[2]) : none]
    : q.compute.inputs.map((v) => (v ? ev.value(v) : none));
  placeResident(cfg, prog, ins, memory);
  const host = packHost(cfg, prog, ins, shape);
  const stats = simulate(cfg, prog.streams, memory, host);
  const size = shape.reduce((p, d) => p * d, 1);
  if (!q || !ev) {
    const out = new Float32Array(size);
    unpackHost(cfg, prog, host, out);
    return { output: Tensor.fromNumbers(y.type.dtype, shape, out), stats };
  }
  const out = new Float32Array(size);
  if (prog.fmt === 'int8') {
    const acc = new Float64Array(size);
    unpackHost(cfg, prog, host, acc);
    const x = ins[0].toF32(), w = ins[1].toF32(), bias = ins[2].size > 0 ? ins[2].toF32() : undefined;
    for (const part of prog.gemv ?? []) int8Readout(q, part.readout!, acc, x, w, bias, out);
    // With an output QuantizeLinear the read-out wrote its codes; the rest of the epilogue follows.
    if (q.int8!.oq) return { output: ev.finish(q, Tensor.fromNumbers(q.epilogue[0].outputs[0].type.dtype, shape, out), true), stats };
  } else {
    unpackHost(cfg, prog, host, out);
  }
  return { output: ev.finish(q, new Tensor('f32', shape, out)), stats };
}
