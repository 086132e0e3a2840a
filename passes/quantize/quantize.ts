// The quantize pass: a fused graph + a precision per group + calibrated activation ranges → the same
// groups with standard QuantizeLinear / DequantizeLinear / Cast in their bodies (README.md has the
// contract targets read). Group boundaries carry the producing group's storage type; each consumer
// converts what it reads in its own body prologue, so no group boundary adds a kernel.
import { type DType, onnxCode } from '../../src/ir/graph/dtype.ts';
import type { Attrs } from '../../src/ir/graph/attrs.ts';
import { Graph, type Node, type NodeSpec, type TensorType, type ValueSpec } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { type ActivationParams, activationParams, type Range } from '../../src/quant/activations.ts';
import type { Precision } from '../../src/quant/precision.ts';
import { quantizeWeight, toTensors } from '../../src/quant/weights.ts';
import { UsageError } from '../../src/util/errors.ts';
import { buildLive } from '../graph/rewrite.ts';
import { MX_DOMAIN } from '../../src/ir/graph/ops/mx.ts';
import { members, type QGroup, quantGroups } from './groups.ts';

export interface QuantPlan {
  /** Precision of each quantizable group, by fused-graph node name; absent → fp32. */
  readonly precisions: ReadonlyMap<string, Precision>;
  /** Calibrated range of each f32 activation value of the fused graph (node outputs, graph inputs). */
  readonly ranges: ReadonlyMap<string, Range>;
  /** Min/max per value, for fp8 groups (their scale maps amax to the format's max); default `ranges`. */
  readonly extremes?: ReadonlyMap<string, Range>;
  /** int4w: elements per scale along the reduction axis (default 32). */
  readonly groupSize?: number;
  /**
   * int8 groups: the weight to encode, by weight name, instead of the constant — output-aware
   * rounding (weight-rounding.ts) gives f32 weights already on the int8 grid, so the encoded codes
   * are exactly its choice. Other precisions always encode the original constant.
   */
  readonly int8Weights?: ReadonlyMap<string, Tensor>;
  /**
   * Error-compensating rounding for any weight grid (weight-fit-graph.ts `fitWeights`): per precision,
   * by constant name, the values a group of that precision encodes instead of the constant — its
   * weight (f32 values already on the precision's grid: int8/int4w codes × the same scales, exact
   * fp16/bf16 numbers) and, when refitted, its f32 bias. Takes precedence over `int8Weights`.
   */
  readonly fitted?: ReadonlyMap<Precision, ReadonlyMap<string, Tensor>>;
  /**
   * Per-channel (axis 1) ranges of activations read by int8 *depthwise* convolutions
   * (`depthwiseInputRanges`, channel-ranges.ts). Such a value is quantized per channel in the
   * depthwise group's prologue (QuantizeLinear/DequantizeLinear with axis 1) and its producer keeps it
   * f32: channel c of a depthwise conv reads only input channel c, so an int8 kernel folds s_x[c] into
   * that channel's requantization multiplier s_x[c]·s_w[c]/s_y at no cost. Absent: per-tensor.
   */
  readonly channelRanges?: ReadonlyMap<string, readonly Range[]>;
  /**
   * Per-channel (axis 1) offsets of rank-4 activations stored as fp16 / bf16 (`floatOffsets`,
   * float-offsets.ts): the boundary holds x − c (Sub before the Cast) and every reader adds c back
   * after its Cast to f32 — the format rounds what varies, not the channel's offset. Absent: plain Cast.
   */
  readonly floatOffsets?: ReadonlyMap<string, Float32Array>;
}

/** What a boundary value holds after the rewrite (absent: f32 as before); `offset`: fp16/bf16 holding x − offset. */
type Repr = ActivationParams & { offset?: readonly number[] };
/** `quant.inputs` entry of a per-channel (axis 1) u8 input of a depthwise group. */
interface ChannelRepr { dtype: 'u8'; axis: 1; scale: number[]; zeroPoint: number[] }

/** A Conv whose every output channel reads exactly one input channel (group = C_in, C_out = C_in). */
export function isDepthwise(c: Node): boolean {
  const w = c.input(1)?.type.shape, x = c.input(0)?.type.shape;
  const grp = c.op === 'Conv' ? c.attr.int('group', 1) : 1;
  return !!w && !!x && grp > 1 && grp === x[1] && w[0] === grp && w[1] === 1;
}

const NARROW_OUT: ReadonlySet<string> = new Set(['int8', 'fp8e4m3', 'fp8e5m2', 'fp16', 'bf16']);
const int = (value: number) => ({ kind: 'int' as const, value });

/** Rewrites every group of `g` (a fused graph) to the precision `plan` gives it. */
export function quantizeGraph(g: Graph, plan: QuantPlan): Graph {
  const groups = new Map(quantGroups(g).map((q) => [q.name, q]));
  for (const [name, p] of plan.precisions) {
    if (!groups.has(name) && p !== 'fp32') throw new UsageError(`quantize: "${name}" is not a quantizable group (no Conv/MatMul/Gemm with constant weights)`);
  }
  const spec = g.toSpec();
  const ctx = new Rewriter(g, plan, new Set(groups.keys()), groups);
  const nodes: NodeSpec[] = [];
  for (const n of g.nodes) {
    const q = groups.get(n.name);
    const p = q ? plan.precisions.get(n.name) ?? 'fp32' : 'fp32';
    nodes.push(...ctx.node(n, p === 'fp32' ? undefined : q, p));
  }
  const constants = [...spec.constants, ...ctx.constants];
  return buildLive({ ...spec, constants }, nodes, ctx.types);
}

class Rewriter {
  readonly constants: ValueSpec[] = [];
  readonly types: Map<string, TensorType>;
  /** Narrow storage of values produced by already-rewritten groups. */
  private readonly repr = new Map<string, Repr>();
  /** Standalone dequantize nodes for unfused float consumers, shared per value. */
  private readonly standalone = new Map<string, string>();
  private readonly names: Set<string>;
  private readonly graphOutputs: ReadonlySet<string>;

  constructor(private readonly g: Graph, private readonly plan: QuantPlan, private readonly quantizable: ReadonlySet<string>,
    private readonly groups: ReadonlyMap<string, QGroup> = new Map()) {
    this.types = new Map(g.toSpec().types);
    this.names = new Set(g.values.keys());
    for (const n of g.nodes) this.names.add(n.name);
    this.graphOutputs = new Set(g.outputs.map((v) => v.name));
  }

  fresh(base: string): string {
    let n = base;
    for (let i = 1; this.names.has(n); i++) n = `${base}_${i}`;
    this.names.add(n);
    return n;
  }

  node(n: Node, q: QGroup | undefined, p: Precision): NodeSpec[] {
    const narrowIn = n.inputs.some((v) => v && this.repr.has(v.name));
    if (!q && !narrowIn) return [this.refitInputs(n)];
    if (!q && !n.body) return this.standaloneDequantize(n);
    return [this.group(n, q, p)];
  }

  /**
   * An unfused node whose constant was refitted with the group feeding its data input (the bias Add
   * after an unfused ConvTranspose, weight-fit-transpose.ts): that constant as a new outer constant.
   */
  private refitInputs(n: Node): NodeSpec {
    const spec = n.toSpec(), src = n.inputs.find((v) => v && !v.isConstant)?.producer;
    const fits = src && this.quantizable.has(src.name) ? this.plan.fitted?.get(this.precisionOf(src)) : undefined;
    if (!fits || !n.inputs.some((v) => v?.isConstant && fits.has(v.name))) return spec;
    return { ...spec, inputs: n.inputs.map((v) => (v?.isConstant && fits.has(v.name) ? this.constant(`${v.name}_fit`, fits.get(v.name)!) : v?.name ?? '')) };
  }

  /** An unfused float node reading narrow values: one DequantizeLinear/Cast node per value, before it. */
  private standaloneDequantize(n: Node): NodeSpec[] {
    const out: NodeSpec[] = [];
    const inputs = n.inputs.map((v) => {
      if (!v || !this.repr.has(v.name)) return v?.name ?? '';
      let f = this.standalone.get(v.name);
      if (!f) {
        f = this.fresh(`${v.name}__f`);
        this.standalone.set(v.name, f);
        out.push(...this.toFloat(v.name, f, this.repr.get(v.name)!, null));
        this.types.set(f, { dtype: 'f32', shape: v.type.shape });
      }
      return f;
    });
    return [...out, { ...n.toSpec(), inputs }];
  }

  /** A group as a Fused node: prologue conversions, weight decode, the members, epilogue. */
  private group(n: Node, q: QGroup | undefined, p: Precision): NodeSpec {
    const old = n.body?.toSpec();
    const bodyConsts: ValueSpec[] = [...(old?.constants ?? [])];
    const bodyTypes = new Map<string, TensorType>(old?.types ?? n.outputs.map((o) => [o.name, o.type]));
    const rename = new Map<string, string>();
    const prologue: NodeSpec[] = [], epilogue: NodeSpec[] = [];
    const outerIn: string[] = [], bodyIn: ValueSpec[] = [];
    const info: { precision: string; inputs: (Repr | ChannelRepr | null)[]; weight?: unknown; output?: Repr } = { precision: p, inputs: [] };
    const bodyInputNames = old ? old.inputs.map((v) => v.name) : [...new Set(n.inputs.filter((v) => v).map((v) => v!.name))];
    for (const name of bodyInputNames) {
      const v = this.g.value(name)!;
      if (q && name === q.weight.name) {
        const w = this.weight(q, p, prologue, bodyTypes);
        outerIn.push(...w.inputs.map((x) => x.name));
        bodyIn.push(...w.inputs);
        info.weight = w.info;
        info.inputs.push(...w.inputs.map(() => null));
        continue;
      }
      const t = this.types.get(name) ?? v.type;
      const refit = q && v.isConstant ? this.plan.fitted?.get(p)?.get(name) : undefined; // a refitted bias
      if (refit) {
        // A new outer constant, and the body reads it under the same name (targets that inline a
        // body resolve its inputs by name: the NPU's did not find the replaced bias).
        const fit = this.constant(`${name}_fit`, refit);
        outerIn.push(fit);
        bodyIn.push({ name: fit, type: t });
        bodyTypes.set(fit, t);
        rename.set(name, fit);
        info.inputs.push(null);
        continue;
      }
      outerIn.push(name);
      bodyIn.push({ name, type: t });
      const have = this.repr.get(name);
      const want = q && !v.isConstant && v.type.dtype === 'f32' ? this.params(name, p) : undefined;
      const perChannel = !have && q && p === 'int8' && name === q.compute.input(0)?.name ? this.channelParams(q, name) : undefined;
      info.inputs.push(perChannel?.info ?? have ?? (want && want.dtype !== 'f32' ? want : null));
      if (!have && (!want || want.dtype === 'f32')) continue;
      const f = `${name}__f`;
      rename.set(name, f);
      bodyTypes.set(f, { dtype: 'f32', shape: v.type.shape });
      if (perChannel) prologue.push(...this.channelRoundTrip(name, f, perChannel.scale, perChannel.zeroPoint, v.type, bodyConsts, bodyTypes));
      else if (have) prologue.push(...this.toFloat(name, f, have, bodyConsts, bodyTypes));
      else prologue.push(...this.roundTrip(name, f, want!, v.type, bodyConsts, bodyTypes));
    }
    const outs = n.outputs.map((o) => o.name);
    if (q && NARROW_OUT.has(p)) {
      for (const o of outs) {
        // Stored narrow only for a consumer group of the same precision: a float consumer would
        // dequantize at once, adding a rounding step for nothing (and graph outputs stay f32).
        if (this.graphOutputs.has(o) || !this.g.value(o)!.consumers.some((c) => this.precisionOf(c) === p)) continue;
        if (p === 'int8' && this.perChannelReader(o)) continue; // its depthwise reader quantizes it per channel
        const a = this.params(o, p);
        const f = `${o}__f`;
        rename.set(o, f);
        bodyTypes.set(f, bodyTypes.get(o)!);
        epilogue.push(...this.fromFloat(f, o, a, bodyConsts, bodyTypes));
        this.repr.set(o, a);
        info.output = a;
      }
    }
    const memberSpecs = members(n).map((m) => {
      const s = m.toSpec();
      const quant = q && m === q.compute ? info : s.quant;
      return { ...s, quant, inputs: s.inputs.map((x) => rename.get(x) ?? x), outputs: s.outputs.map((x) => rename.get(x) ?? x) };
    });
    const body = Graph.build({
      name: n.name, opsets: this.g.opsets, inputs: bodyIn, constants: bodyConsts,
      nodes: [...prologue, ...memberSpecs, ...epilogue], outputs: outs, types: bodyTypes,
    });
    for (const o of body.outputs) this.types.set(o.name, o.type);
    const attrs = n.body ? n.attrs : { pattern: { kind: 'string' as const, value: n.op } };
    return {
      name: n.body ? n.name : this.fresh(`fused_${n.name}`), op: 'Fused', inputs: outerIn, outputs: outs,
      attrs, body, quant: q ? info : undefined, target: n.target,
    };
  }

  /** A value some int8 depthwise group will quantize per channel (its data input, with channel ranges). */
  private perChannelReader(v: string): boolean {
    if (!this.plan.channelRanges?.has(v)) return false;
    return this.g.value(v)!.consumers.some((c) => {
      const q = this.precisionOf(c) === 'int8' ? this.groups.get(c.name)?.compute : undefined;
      return !!q && isDepthwise(q) && q.input(0)?.name === v;
    });
  }

  /** Per-channel u8 parameters of a depthwise group's data input, when the plan has channel ranges for it. */
  private channelParams(q: QGroup, name: string) {
    const rs = this.plan.channelRanges?.get(name);
    if (!rs || !isDepthwise(q.compute)) return undefined;
    const ps = rs.map((r) => activationParams(r, 'int8'));
    const scale = ps.map((x) => x.scale), zeroPoint = ps.map((x) => x.zeroPoint);
    return { scale, zeroPoint, info: { dtype: 'u8', axis: 1, scale, zeroPoint } as ChannelRepr };
  }

  /** x (f32) → QuantizeLinear/DequantizeLinear along axis 1 with one scale and zero point per channel. */
  private channelRoundTrip(x: string, f: string, scale: number[], zp: number[], t: TensorType, consts: ValueSpec[], types: Map<string, TensorType>): NodeSpec[] {
    const mid = `${x}__u8c`, s = `${mid}_scale`, z = `${mid}_zp`;
    types.set(mid, { dtype: 'u8', shape: t.shape });
    consts.push(
      { name: s, type: { dtype: 'f32', shape: [scale.length] }, constant: new Tensor('f32', [scale.length], Float32Array.from(scale)) },
      { name: z, type: { dtype: 'u8', shape: [zp.length] }, constant: new Tensor('u8', [zp.length], Uint8Array.from(zp)) },
    );
    const axis = { axis: int(1) };
    return [
      { name: `${mid}_q`, op: 'QuantizeLinear', inputs: [x, s, z], outputs: [mid], attrs: axis },
      { name: `${f}_dq`, op: 'DequantizeLinear', inputs: [mid, s, z], outputs: [f], attrs: axis },
    ];
  }

  private precisionOf(n: Node): Precision {
    return this.quantizable.has(n.name) ? this.plan.precisions.get(n.name) ?? 'fp32' : 'fp32';
  }

  /** The boundary encoding of activation `name` read or written by a group of precision p. */
  private params(name: string, p: Precision): Repr {
    const a = activationParams(this.range(name, p), p);
    const offset = (a.dtype === 'f16' || a.dtype === 'bf16') ? this.plan.floatOffsets?.get(name) : undefined;
    return offset ? { ...a, offset: [...offset] } : a;
  }

  private range(name: string, p: Precision): Range {
    const r = (p.startsWith('fp8') ? this.plan.extremes ?? this.plan.ranges : this.plan.ranges).get(name);
    if (!r) throw new UsageError(`quantize: no calibrated range for activation "${name}"`);
    return r;
  }

  /** The weight in precision p: outer constants (codes, scale) and the body node decoding them to f32. */
  private weight(q: QGroup, p: Precision, prologue: NodeSpec[], bodyTypes: Map<string, TensorType>) {
    const w = q.weight, shape = w.constant!.shape;
    const src = this.plan.fitted?.get(p)?.get(w.name) ?? (p === 'int8' ? this.plan.int8Weights?.get(w.name) : undefined) ?? w.constant!;
    const enc = quantizeWeight(src.toF32(), shape, {
      precision: p, axis: q.axis, blockAxis: q.reduceAxis, groupSize: this.plan.groupSize ?? 32, symmetric: true,
    });
    const t = toTensors(enc);
    const codes = this.constant(`${w.name}_${enc.dtype}`, t.codes);
    const inputs: ValueSpec[] = [{ name: codes, type: { dtype: t.codes.dtype, shape: t.codes.shape } }];
    const g = enc.granularity;
    if (enc.dtype === 'mx') {
      // OCP MX: packed elements + E8M0 scales, blocks of 32 along the reduction axis (com.tscc op).
      const scales = this.constant(`${w.name}_e8m0`, t.scale!);
      inputs.push({ name: scales, type: { dtype: 'u8', shape: t.scale!.shape } });
      const axis = enc.granularity.kind === 'tensor' ? 0 : enc.granularity.axis;
      prologue.push({
        name: this.fresh(`${w.name}_mxdq`), op: 'MxDequantize', domain: MX_DOMAIN, inputs: [codes, scales], outputs: [w.name],
        attrs: { format: { kind: 'string', value: enc.mx!.element }, axis: int(axis), shape: { kind: 'ints', value: [...shape] } },
      });
    } else if (enc.dtype === 'f16' || enc.dtype === 'bf16') {
      prologue.push({ name: this.fresh(`${w.name}_cast`), op: 'Cast', inputs: [codes], outputs: [w.name], attrs: { to: int(onnxCode('f32')) } });
    } else {
      const scale = this.constant(`${w.name}_scale`, t.scale!);
      inputs.push({ name: scale, type: { dtype: 'f32', shape: t.scale!.shape } });
      const attrs: Attrs = g.kind === 'tensor' ? {} : g.kind === 'axis' ? { axis: int(g.axis) } : { axis: int(g.axis), block_size: int(g.block) };
      prologue.push({ name: this.fresh(`${w.name}_dq`), op: 'DequantizeLinear', inputs: [codes, scale], outputs: [w.name], attrs });
    }
    bodyTypes.set(w.name, w.type);
    const axis = g.kind === 'tensor' ? undefined : g.axis, blockSize = g.kind === 'block' ? g.block : undefined;
    return { inputs, info: { name: codes, dtype: enc.dtype, axis, blockSize, scale: enc.scale ? [...enc.scale] : undefined } };
  }

  private constant(base: string, t: Tensor): string {
    const name = this.fresh(base);
    this.constants.push({ name, type: { dtype: t.dtype, shape: t.shape }, constant: t });
    return name;
  }

  /** x (narrow) → f (f32): DequantizeLinear with the producer's scale, or Cast (+ the offset back). */
  private toFloat(x: string, f: string, r: Repr, consts: ValueSpec[] | null, types?: Map<string, TensorType>): NodeSpec[] {
    if (r.dtype === 'f16' || r.dtype === 'bf16') {
      if (!r.offset) return [{ name: `${f}_cast`, op: 'Cast', inputs: [x], outputs: [f], attrs: { to: int(onnxCode('f32')) } }];
      const mid = `${f}_centred`, c = this.offset(x, r.offset, consts);
      (types ?? this.types).set(mid, { dtype: 'f32', shape: (types?.get(x) ?? this.types.get(x) ?? this.g.value(x)!.type).shape });
      return [
        { name: `${f}_cast`, op: 'Cast', inputs: [x], outputs: [mid], attrs: { to: int(onnxCode('f32')) } },
        { name: `${f}_add`, op: 'Add', inputs: [mid, c], outputs: [f] },
      ];
    }
    const [s, z] = this.scaleZp(x, r, consts);
    return [{ name: `${f}_dq`, op: 'DequantizeLinear', inputs: [x, s, z], outputs: [f] }];
  }

  /** f (f32) → y (narrow): QuantizeLinear with the calibrated scale, or Cast (of f − offset). */
  private fromFloat(f: string, y: string, r: Repr, consts: ValueSpec[], types: Map<string, TensorType>, shape = types.get(f)!.shape): NodeSpec[] {
    types.set(y, { dtype: r.dtype as DType, shape });
    const dt = r.dtype;
    if (dt === 'f16' || dt === 'bf16') {
      const cast = (from: string): NodeSpec => ({ name: `${y}_cast`, op: 'Cast', inputs: [from], outputs: [y], attrs: { to: int(onnxCode(dt)) } });
      if (!r.offset) return [cast(f)];
      const mid = `${y}__centred`;
      types.set(mid, { dtype: 'f32', shape });
      return [{ name: `${y}_sub`, op: 'Sub', inputs: [f, this.offset(y, r.offset, consts)], outputs: [mid] }, cast(mid)];
    }
    const [s, z] = this.scaleZp(y, r, consts);
    return [{ name: `${y}_q`, op: 'QuantizeLinear', inputs: [f, s, z], outputs: [y] }];
  }

  /** An f32 input of a quantized group: fake-quantize it (Q→DQ or Cast→Cast) with the group's own parameters. */
  private roundTrip(x: string, f: string, r: Repr, t: TensorType, consts: ValueSpec[], types: Map<string, TensorType>): NodeSpec[] {
    if (r.dtype === 'mx') {
      // Blocks along channels for NCHW activations (the reduction of a Conv), else the last axis.
      const axis = t.shape.length === 4 ? 1 : -1;
      return [{
        name: `${f}_mxqdq`, op: 'MxQuantizeDequantize', domain: MX_DOMAIN, inputs: [x], outputs: [f],
        attrs: { format: { kind: 'string', value: r.mxElement! }, axis: int(axis) },
      }];
    }
    const mid = `${x}__${r.dtype}`;
    if (r.dtype === 'f16' || r.dtype === 'bf16') {
      return [...this.fromFloat(x, mid, r, consts, types, t.shape), ...this.toFloat(mid, f, r, consts, types)];
    }
    types.set(mid, { dtype: r.dtype as DType, shape: t.shape });
    const [s, z] = this.scaleZp(mid, r, consts);
    return [
      { name: `${mid}_q`, op: 'QuantizeLinear', inputs: [x, s, z], outputs: [mid] },
      { name: `${f}_dq`, op: 'DequantizeLinear', inputs: [mid, s, z], outputs: [f] },
    ];
  }

  /** A float boundary's offsets as a [1, C, 1, 1] constant of the body, or of the outer graph (consts null). */
  private offset(base: string, offset: readonly number[], consts: ValueSpec[] | null): string {
    const t = new Tensor('f32', [1, offset.length, 1, 1], Float32Array.from(offset));
    if (!consts) return this.constant(`${base}_offset`, t);
    const name = `${base}_offset`;
    if (!consts.some((c) => c.name === name)) consts.push({ name, type: { dtype: 'f32', shape: t.shape }, constant: t });
    return name;
  }

  /** Scale and zero point as one-element constants of the body, or of the outer graph (consts null). */
  private scaleZp(base: string, r: Repr, consts: ValueSpec[] | null): [string, string] {
    const zd = r.dtype as DType;
    const scale = Tensor.scalar('f32', r.scale);
    const zp = zd === 'f8e4m3' || zd === 'f8e5m2' ? new Tensor(zd, []) : Tensor.scalar(zd, r.zeroPoint);
    if (!consts) return [this.constant(`${base}_scale`, scale), this.constant(`${base}_zp`, zp)];
    const s = `${base}_scale`, z = `${base}_zp`;
    if (!consts.some((c) => c.name === s)) consts.push({ name: s, type: { dtype: 'f32', shape: [] }, constant: scale }, { name: z, type: { dtype: zd, shape: [] }, constant: zp });
    return [s, z];
  }
}
