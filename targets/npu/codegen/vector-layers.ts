// Nodes → vector-unit and DMA layers: element-wise chains, row ops, pooling, data movement.
import type { Node, Value } from '../../../src/ir/graph/graph.ts';
import { VF } from '../isa.ts';
import { type Ctx, type Mapped } from './context.ts';
import { unaryOp } from './epilogue.ts';
import { NotMapped, axis, constNumbers, isFloat, shapeOf, sizeOf } from './nodes.ts';
import { broadcastStrides, contiguousStrides } from './pieces.ts';
import { type EwStep, type Operand, type RowOp, emitCopy, emitElementwise, emitPool, emitRows } from './vector.ts';
import { trailingQuant } from './qdq.ts';

const BINARY: Record<string, number> = { Add: VF.ADD, Sub: VF.SUB, Mul: VF.MUL, Div: VF.DIV, Max: VF.MAX, Min: VF.MIN, Pow: VF.POW };
const COMMUTATIVE = new Set(['Add', 'Mul', 'Max', 'Min']);
const scalarOf = (v: Value | null) => { const d = constNumbers(v); return d && d.length === 1 ? d[0] : null; };

/** Element-wise node (+ the unary/scalar ops after it) → one chain over the output shape. */
export function mapElementwise(ctx: Ctx, n: Node): Mapped {
  if (!n.outputs.every(isFloat) || n.outputs.length !== 1) throw new NotMapped('float element-wise only');
  const inputs: Value[] = [];
  const idx = (v: Value) => { if (!isFloat(v) && v.type.dtype !== 'bool') throw new NotMapped('float operands only'); let i = inputs.indexOf(v); if (i < 0) { inputs.push(v); i = inputs.length - 1; } return i; };
  const steps: EwStep[] = [];
  const first = (node: Node, cur: Value | null): boolean => {
    const at = (v: Value) => (v === cur ? 'cur' as const : idx(v));
    if (node.op in BINARY && node.inputs.length === 2) {
      const [a, b] = [node.inputs[0]!, node.inputs[1]!];
      const sa = a === cur ? null : scalarOf(a), sb = b === cur ? null : scalarOf(b);
      if (sb !== null) steps.push({ kind: 'binary', fn: BINARY[node.op], a: at(a), b: { imm: sb } });
      else if (sa !== null && COMMUTATIVE.has(node.op)) steps.push({ kind: 'binary', fn: BINARY[node.op], a: at(b), b: { imm: sa } });
      else if (sa !== null && node.op === 'Sub') steps.push({ kind: 'unary', fn: VF.AFFINE, a: at(b), imm0: -1, imm1: sa });
      else if (sa !== null && node.op === 'Div') steps.push({ kind: 'unary', fn: VF.RECIP, a: at(b) }, { kind: 'binary', fn: VF.MUL, a: 'cur', b: { imm: sa } });
      else steps.push({ kind: 'binary', fn: BINARY[node.op], a: at(a), b: at(b) });
      return true;
    }
    if (node.op === 'Where') { steps.push({ kind: 'sel', c: at(node.inputs[0]!), a: at(node.inputs[1]!), b: at(node.inputs[2]!) }); return true; }
    if (node.op === 'BatchNormalization' && node.outputs.length === 1 && node.inputs.slice(1).every((v) => v?.constant)) {
      const [sc, sh, mean, vr] = [1, 2, 3, 4].map((i) => constNumbers(node.input(i))!);
      const eps = node.attr.float('epsilon', 1e-5);
      const C = sc.length, rank = shapeOf(node.inputs[0]!).length;
      const a = sc.map((s, c) => s / Math.sqrt(vr[c] + eps)), b = sh.map((s, c) => s - mean[c] * a[c]);
      const cshape = [C, ...new Array(rank - 2).fill(1)];
      const ai = inputs.length, bi = ai + 1;
      extra.push({ data: a, shape: cshape }, { data: b, shape: cshape });
      inputs.push(null as unknown as Value, null as unknown as Value);
      steps.push({ kind: 'binary', fn: VF.MUL, a: at(node.inputs[0]!), b: ai }, { kind: 'binary', fn: VF.ADD, a: 'cur', b: bi });
      return true;
    }
    const u = node.inputs[0] && unaryOp(node);
    if (u && node.inputs[0]) { steps.push({ kind: 'unary', fn: u.fn, a: at(node.inputs[0]), imm0: u.imm0, imm1: u.imm1 }); return true; }
    return false;
  };
  const extra: { data: number[]; shape: number[] }[] = [];
  if (!first(n, null)) throw new NotMapped(`${n.op} has no vector form`);
  const nodes = [n];
  let y = n.outputs[0];
  const shape = shapeOf(y);
  // Fuse following element-wise nodes that keep the shape and read only the running value, constants or values already loaded.
  for (;;) {
    const next = ctx.fusion.sole(y);
    if (!next || next.outputs.length !== 1 || sizeOf(shapeOf(next.outputs[0])) !== sizeOf(shape) || shapeOf(next.outputs[0]).length !== shape.length) break;
    if (!next.inputs.every((v) => v && (v === y || v.constant || inputs.includes(v)) && shapeOf(v).length <= shape.length)) break;
    if (next.op === 'BatchNormalization') break;
    const save = steps.length, saveIn = inputs.length;
    if (!first(next, y)) { steps.length = save; inputs.length = saveIn; break; }
    nodes.push(next); y = next.outputs[0];
  }
  const tq = trailingQuant(ctx, y);
  const fin = tq ? tq.out : y;
  if (tq) nodes.push(...tq.nodes);
  return {
    nodes, kind: 'vector', out: [fin], ...(tq ? { precision: 'f16 → int8' } : {}),
    emit() {
      const L = ctx.layout;
      let ei = 0;
      const ops: Operand[] = inputs.map((v) => {
        if (v === null) { const x = extra[ei++]; return { addr: L.constant('f16', x.data), strides: broadcastStrides(x.shape, shape) }; }
        return { addr: L.get(v).addr, strides: broadcastStrides(shapeOf(v), shape) };
      });
      emitElementwise(ctx.e, shape, ops, L.place(fin).addr, steps, tq?.q);
    },
  };
}

export function mapRows(ctx: Ctx, n: Node): Mapped {
  const x = n.inputs[0]!, y = n.outputs[0];
  if (!isFloat(x)) throw new NotMapped('float only');
  const xs = shapeOf(x), r = xs.length;
  let cols: number;
  let op: RowOp;
  const L = ctx.layout;
  let scale: Value | null = null, bias: Value | null = null;
  switch (n.op) {
    case 'Softmax': {
      if (axis(n.attr.int('axis', -1), r) !== r - 1) throw new NotMapped('softmax over an inner axis');
      cols = xs[r - 1]; op = { kind: 'softmax' }; break;
    }
    case 'LayerNormalization': {
      if (n.outputs.length > 1 && n.outputs.slice(1).some((v) => v.consumers.length || ctx.fusion.outputs.has(v.name))) throw new NotMapped('mean/invstd outputs');
      const a = axis(n.attr.int('axis', -1), r);
      cols = sizeOf(xs.slice(a)); scale = n.input(1); bias = n.input(2);
      op = { kind: 'lnorm', eps: n.attr.float('epsilon', 1e-5), scale: -1, bias: -1 }; break;
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool':
      cols = sizeOf(xs.slice(2)); op = { kind: 'reduce', fn: n.op === 'GlobalMaxPool' ? VF.RMAX : VF.RMEAN }; break;
    case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': {
      const ax = (n.input(1) ? constNumbers(n.input(1)) : n.attr.intsOpt('axes') ? [...n.attr.ints('axes')] : null);
      if (n.input(1) && !ax) throw new NotMapped('runtime axes');
      const axes = (ax && ax.length ? ax : xs.map((_, i) => i)).map((a) => axis(a, r)).sort((p, q) => p - q);
      if (ax && ax.length === 0 && n.attr.int('noop_with_empty_axes', 0)) throw new NotMapped('noop reduce');
      if (axes.some((a, i) => a !== r - axes.length + i)) throw new NotMapped('reduction over non-trailing axes');
      cols = sizeOf(axes.map((a) => xs[a]));
      op = { kind: 'reduce', fn: n.op === 'ReduceMean' ? VF.RMEAN : n.op === 'ReduceSum' ? VF.RSUM : VF.RMAX }; break;
    }
    default: throw new NotMapped(n.op);
  }
  if (cols * 16 > ctx.cfg.spadBytes || cols > 65535) throw new NotMapped('rows too long for the scratchpad');
  const tq = trailingQuant(ctx, y);
  return {
    nodes: [n, ...(tq?.nodes ?? [])], kind: 'vector', out: [tq?.out ?? y], ...(tq ? { precision: 'f16 → int8' } : {}),
    emit() {
      const o = op.kind === 'lnorm' ? { ...op, scale: scale ? L.get(scale).addr : -1, bias: bias ? L.get(bias).addr : -1 } : op;
      if (op.kind === 'lnorm' && ((scale && sizeOf(shapeOf(scale)) !== cols) || (bias && sizeOf(shapeOf(bias)) !== cols))) throw new NotMapped('broadcast scale');
      emitRows(ctx.e, sizeOf(xs) / cols, cols, L.get(x).addr, L.place(tq?.out ?? y).addr, o, tq?.q);
    },
  };
}

export function mapPool(ctx: Ctx, n: Node): Mapped {
  const x = n.inputs[0]!, y = n.outputs[0];
  const xs = shapeOf(x), ys = shapeOf(y);
  if (xs.length !== 4 || n.outputs.length !== 1 || !isFloat(x)) throw new NotMapped('2-D pooling only');
  if (n.attr.string('auto_pad', 'NOTSET') !== 'NOTSET') throw new NotMapped('auto_pad');
  const ks = n.attr.ints('kernel_shape'), st = n.attr.ints('strides', [1, 1]), dl = n.attr.ints('dilations', [1, 1]);
  const pads = n.attr.ints('pads', [0, 0, 0, 0]);
  const max = n.op === 'MaxPool';
  const g = { planes: xs[0] * xs[1], IH: xs[2], IW: xs[3], OH: ys[2], OW: ys[3], kh: ks[0], kw: ks[1], sh: st[0], sw: st[1], dh: dl[0], dw: dl[1],
    pt: pads[0], pl: pads[1], max, countPad: !max && n.attr.int('count_include_pad', 0) === 1 };
  if ((g.IH * g.IW + g.OH * g.OW) * 4 > ctx.cfg.spadBytes) throw new NotMapped('plane too large');
  const tq = g.planes * g.OH <= 65535 ? trailingQuant(ctx, y) : null;
  return {
    nodes: [n, ...(tq?.nodes ?? [])], kind: 'vector', out: [tq?.out ?? y], ...(tq ? { precision: 'f16 → int8' } : {}),
    emit() { emitPool(ctx.e, g, ctx.layout.get(x).addr, ctx.layout.place(tq?.out ?? y).addr, tq?.q); },
  };
}

/** Pure data movement through the DMA engines. */
export function mapCopy(ctx: Ctx, n: Node): Mapped {
  const L = ctx.layout;
  const x = n.inputs[0]!;
  const dt = L.get(x).dt;
  if (dt === 'i8') throw new NotMapped('int8');
  const xs = shapeOf(x), r = xs.length, xst = contiguousStrides(xs);
  const copies: { shape: number[]; src: () => Operand; dst: () => Operand }[] = [];
  const whole = (v: Value, off = 0) => () => ({ addr: L.place(v).addr + off * eb, strides: contiguousStrides(shapeOf(v)), dt });
  const eb = dt === 'i32' ? 4 : 2;
  switch (n.op) {
    case 'Transpose': {
      const perm = n.attr.ints('perm', xs.map((_, i) => r - 1 - i));
      const y = n.outputs[0];
      copies.push({ shape: shapeOf(y), src: () => ({ addr: L.get(x).addr, strides: perm.map((p) => xst[p]), dt }), dst: whole(y) });
      break;
    }
    case 'Concat': {
      const y = n.outputs[0], ys = shapeOf(y), a = axis(n.attr.int('axis'), ys.length), yst = contiguousStrides(ys);
      let off = 0;
      for (const v of n.inputs) {
        if (!v) continue;
        if (L.get(v).dt !== dt) throw new NotMapped('mixed types');
        const vs = shapeOf(v), o = off;
        copies.push({ shape: vs, src: whole(v), dst: () => ({ addr: L.place(y).addr + o * yst[a] * eb, strides: yst, dt }) });
        off += vs[a];
      }
      break;
    }
    case 'Split': {
      const a = axis(n.attr.int('axis', 0), r);
      let off = 0;
      for (const y of n.outputs) {
        const ys = shapeOf(y), o = off;
        copies.push({ shape: ys, src: () => ({ addr: L.get(x).addr + o * xst[a] * eb, strides: xst, dt }), dst: whole(y) });
        off += ys[a];
      }
      break;
    }
    case 'Slice': {
      const [starts, ends, axesIn, steps] = [1, 2, 3, 4].map((i) => (n.input(i) ? constNumbers(n.input(i)) : null));
      if (!starts || !ends || (n.input(3) && !axesIn) || (n.input(4) && !steps)) throw new NotMapped('runtime slice bounds');
      const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => axis(a, r));
      const begin = new Array(r).fill(0), step = new Array(r).fill(1);
      axes.forEach((a, i) => {
        const sp = steps ? steps[i] : 1, d = xs[a];
        let s = starts[i] < 0 ? starts[i] + d : starts[i];
        s = sp > 0 ? Math.min(Math.max(s, 0), d) : Math.min(Math.max(s, -1), d - 1);
        begin[a] = s; step[a] = sp;
      });
      const y = n.outputs[0];
      const off = begin.reduce((acc, b, i) => acc + b * xst[i], 0);
      copies.push({ shape: shapeOf(y), src: () => ({ addr: L.get(x).addr + off * eb, strides: xst.map((s, i) => s * step[i]), dt }), dst: whole(y) });
      break;
    }
    case 'Expand': {
      const y = n.outputs[0];
      copies.push({ shape: shapeOf(y), src: () => ({ addr: L.get(x).addr, strides: broadcastStrides(xs, shapeOf(y)), dt }), dst: whole(y) });
      break;
    }
    default: throw new NotMapped(n.op);
  }
  return { nodes: [n], kind: 'dma', out: n.outputs, emit() { for (const c of copies) ctx.e.scoped(() => emitCopy(ctx.e, c.shape, c.src(), c.dst())); } };
}
