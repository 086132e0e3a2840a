// Index-remapping data movement on the DMA engines: Gather (constant indices → strided copies; runtime
// indices → `dma.gather`, which reads the index vector from the scratchpad and fetches those table
// rows) and nearest-neighbour Resize with integer factors (a strided view of the input: an upsampled
// axis becomes (in, factor) with stride 0 on the factor, a downsampled one a stride of `factor`).
import type { Node, Value } from '../../../src/ir/graph/graph.ts';
import type { Ctx, Mapped } from './context.ts';
import { NotMapped, axis, constNumbers, shapeOf, sizeOf } from './nodes.ts';
import { contiguousStrides } from './pieces.ts';
import { emitCopy, type Operand } from './vector.ts';

const ebOf = (dt: string) => (dt === 'i32' ? 4 : 2);

export function mapGather(ctx: Ctx, n: Node): Mapped {
  const L = ctx.layout;
  const x = n.inputs[0]!, ind = n.input(1)!, y = n.outputs[0];
  const dt = L.get(x).dt;
  if (dt === 'i8') throw new NotMapped('int8 table');
  const xs = shapeOf(x), a = axis(n.attr.int('axis', 0), xs.length);
  const outer = xs.slice(0, a), inner = xs.slice(a + 1), size = sizeOf(inner), count = sizeOf(shapeOf(ind));
  const consts = constNumbers(ind);
  if (consts) return gatherConst(ctx, n, x, y, consts, outer, inner, xs[a]);
  const eb = ebOf(dt);
  // Rows of `size` elements gathered `chunk` at a time: the index slice, then the rows, then one store.
  const chunk = Math.min(count, 65535, Math.floor(ctx.cfg.spadBytes / 4 / (size * eb + 4)));
  if (chunk < 1 || size > 65535) throw new NotMapped('gathered rows do not fit the scratchpad');
  return {
    nodes: [n], kind: 'dma', out: [y],
    emit() {
      const e = ctx.e, cores = ctx.cfg.cores;
      const xa = L.get(x).addr, ia = L.get(ind).addr, ya = L.place(y).addr;
      const bufs = new Map<number, number[][]>();
      let t = 0;
      for (let o = 0; o < sizeOf(outer); o++) {
        for (let j0 = 0; j0 < count; j0 += chunk, t++) {
          const c = t % cores, cnt = Math.min(chunk, count - j0);
          if (!bufs.has(c)) bufs.set(c, [0, 1].map(() => [e.spad(c, chunk * 4), e.spad(c, chunk * size * eb)]));
          const [ib, rb] = bufs.get(c)![(t / cores | 0) & 1];
          e.load(c, 'i32', ia + j0 * 4, ib, [cnt], [1]);
          e.gather(c, dt, xa + o * xs[a] * size * eb, rb, ib, cnt, size, xs[a], size);
          e.store(c, dt, ya + (o * count + j0) * size * eb, rb, [size, cnt], [1, size]);
        }
      }
    },
  };
}

/** Constant indices: one strided copy per index, over the outer and inner dims at once. */
function gatherConst(ctx: Ctx, n: Node, x: Value, y: Value, ind: number[], outer: number[], inner: number[], dim: number): Mapped {
  const L = ctx.layout;
  const xs = [...outer, dim, ...inner], xst = contiguousStrides(xs), a = outer.length;
  const yst = contiguousStrides([...outer, ind.length, ...inner]);
  const shape = [...outer, ...inner];
  const drop = (s: number[]) => [...s.slice(0, a), ...s.slice(a + 1)];
  return {
    nodes: [n], kind: 'dma', out: [y],
    emit() {
      const dt = L.get(x).dt as 'f16' | 'i32', eb = ebOf(dt);
      ind.forEach((iv, j) => {
        const i = iv < 0 ? iv + dim : iv;
        if (i < 0 || i >= dim) throw new NotMapped(`index ${iv} outside 0..${dim - 1}`);
        const src: Operand = { addr: L.get(x).addr + i * xst[a] * eb, strides: drop(xst), dt };
        const dst: Operand = { addr: L.place(y).addr + j * yst[a] * eb, strides: drop(yst), dt };
        // Each copy's scratchpad slots are freed after it (the scoreboard orders their reuse).
        if (shape.length) ctx.e.scoped(() => emitCopy(ctx.e, shape, src, dst));
        else ctx.e.scoped(() => emitCopy(ctx.e, [1], { ...src, strides: [1] }, { ...dst, strides: [1] }));
      });
    },
  };
}

/** Source index of every output position along one axis, by ONNX Resize's nearest rule. */
function nearestIndices(n: Node, I: number, O: number, scale: number): number[] {
  const ctm = n.attr.string('coordinate_transformation_mode', 'half_pixel');
  const mode = n.attr.string('nearest_mode', 'round_prefer_floor');
  const out: number[] = [];
  for (let o = 0; o < O; o++) {
    let c: number;
    switch (ctm) {
      case 'asymmetric': c = o / scale; break;
      case 'align_corners': c = O > 1 ? (o * (I - 1)) / (O - 1) : 0; break;
      case 'pytorch_half_pixel': c = O > 1 ? (o + 0.5) / scale - 0.5 : 0; break;
      case 'tf_half_pixel_for_nearest': c = (o + 0.5) / scale; break;
      case 'half_pixel': c = (o + 0.5) / scale - 0.5; break;
      default: throw new NotMapped(`coordinate_transformation_mode ${ctm}`);
    }
    const fl = Math.floor(c), frac = c - fl;
    const r = mode === 'floor' ? fl : mode === 'ceil' ? Math.ceil(c)
      : frac === 0.5 ? (mode === 'round_prefer_ceil' ? fl + 1 : fl) : Math.round(c);
    out.push(Math.min(I - 1, Math.max(0, r)));
  }
  return out;
}

/** Nearest Resize whose per-axis index map is affine (b + o·f) or an integer upsampling (⌊o/f⌋). */
export function mapResize(ctx: Ctx, n: Node): Mapped {
  const x = n.inputs[0]!, y = n.outputs[0];
  const L = ctx.layout;
  if (n.attr.string('mode', 'nearest') !== 'nearest') throw new NotMapped(`${n.attr.string('mode', 'nearest')} interpolation`);
  const xs = shapeOf(x), ys = shapeOf(y), xst = contiguousStrides(xs), yst = contiguousStrides(ys);
  const scalesIn = n.inputs.length === 2 ? n.input(1) : n.input(2);
  const scales = scalesIn ? constNumbers(scalesIn) : null;
  if (scalesIn && !scales) throw new NotMapped('runtime scales');
  if (n.input(3) && !constNumbers(n.input(3))) throw new NotMapped('runtime sizes');
  const shape: number[] = [], src: number[] = [], dst: number[] = [];
  let off = 0;
  xs.forEach((I, d) => {
    const O = ys[d], s = scales && scales.length ? scales[d] : O / I;
    const idx = nearestIndices(n, I, O, s);
    const f = O % I === 0 ? O / I : 0;
    if (f > 1 && idx.every((v, o) => v === Math.floor(o / f))) {
      shape.push(I, f); src.push(xst[d], 0); dst.push(f * yst[d], yst[d]);
      return;
    }
    const step = O > 1 ? idx[1] - idx[0] : 0;
    if (!idx.every((v, o) => v === idx[0] + o * step)) throw new NotMapped('non-integer nearest resize factor');
    off += idx[0] * xst[d];
    shape.push(O); src.push(step * xst[d]); dst.push(yst[d]);
  });
  return {
    nodes: [n], kind: 'dma', out: [y],
    emit() {
      const p = L.get(x), dt = p.dt as 'f16' | 'i32';
      if (p.dt === 'i8') throw new NotMapped('int8');
      emitCopy(ctx.e, shape, { addr: p.addr + off * ebOf(dt), strides: src, dt }, { addr: L.place(y).addr, strides: dst, dt });
    },
  };
}
