// The host plan: device buffers, the weights that initialize some of them, and the dispatches in
// order, each a shader plus the buffers bound to it. Intermediate values and per-kernel
// temporaries share buffers by liveness: a buffer is free again after the last kernel reading its
// value, and is reused for the next value that fits (best fit). A kernel's outputs never share a
// buffer with its inputs, because they are allocated before its inputs are released.
import type { Value } from '../../src/ir/graph/graph.ts';
import { isFloat } from '../../src/ir/graph/dtype.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import type { KernelPlan, ModulePlan } from '../target.ts';
import { TargetError } from '../../src/util/errors.ts';
import { type WgslConfig, checkConfig, defaultConfig, parseConfig } from './config.ts';
import { type Shader, emitStage } from './emit.ts';
import type { DeviceProfile } from './limits.ts';
import { splitStages } from './stages.ts';
import { tileStage } from './tile.ts';

export interface PlanBuffer { bytes: number; kind: 'input' | 'output' | 'weight' | 'pool' }
export interface PlanIo { name: string; dtype: string; shape: number[]; buffer: number }
/** A buffer-to-buffer copy before a dispatch (bytes), filling a pack of read-only inputs. */
export interface PlanCopy { src: number; dst: number; dstOffset: number; bytes: number }
export interface PlanDispatch { kernel: number; shader: number; bindings: number[]; workgroups: [number, number, number]; copies?: PlanCopy[] }

export interface HostPlan {
  format: 'tscc-wgsl-plan';
  version: 1;
  /** f16 values are stored as 2-byte f16 (the device must have shader-f16; inputs/outputs too). */
  f16?: boolean;
  /** Some shaders use subgroup operations (the device must have the `subgroups` feature). */
  subgroups?: boolean;
  weightsFile: string;
  buffers: PlanBuffer[];
  weights: { buffer: number; offset: number; bytes: number }[];
  inputs: PlanIo[];
  outputs: PlanIo[];
  shaders: string[];
  dispatches: PlanDispatch[];
  /** Per kernel: the code generator config used (given by the plan when `tuned`, else the default rule's). */
  kernels: { name: string; ops: string[]; config: WgslConfig; tuned: boolean; precision: string }[];
  /** Bytes of all device buffers together: the peak, since every buffer lives for the session. */
  peakBytes: number;
  /** What the peak would be without reuse. */
  unsharedBytes: number;
}

export interface Built { plan: HostPlan; shaderCode: string[]; weights: Uint8Array }

const count = (shape: readonly (number | string)[]) => Math.max(1, shape.reduce<number>((a, d) => a * Number(d), 1));

export function buildPlan(mod: ModulePlan, profile: DeviceProfile): Built {
  // 4 bytes an element, but f16 values take 2 where the device has shader-f16.
  const f16 = profile.f16 ?? false;
  const width = (dtype: string) => (f16 && dtype === 'f16' ? 2 : 4);
  const bytesOf = (v: Value) => width(v.type.dtype) * count(v.type.shape);
  const buffers: PlanBuffer[] = [];
  const weightChunks: Uint8Array[] = [];
  const weights: HostPlan['weights'] = [];
  let weightBytes = 0;
  let unshared = 0;
  const bufOf = new Map<Value, number>();
  const newBuffer = (bytes: number, kind: PlanBuffer['kind']) => { buffers.push({ bytes, kind }); return buffers.length - 1; };

  const weightBuffer = (v: Value): number => {
    const data = deviceBytes(v.constant!, f16);
    const id = newBuffer(data.byteLength, 'weight');
    weights.push({ buffer: id, offset: weightBytes, bytes: data.byteLength });
    weightChunks.push(data);
    weightBytes += data.byteLength;
    return id;
  };
  const graph = mod.graph;
  for (const v of graph.inputs) bufOf.set(v, newBuffer(bytesOf(v), 'input'));
  const graphOutputs = new Set(graph.outputs);

  // Last kernel reading each value.
  const lastUse = new Map<Value, number>();
  mod.kernels.forEach((k, i) => k.inputs.forEach((v) => lastUse.set(v, i)));
  const pool = new Pool(buffers);

  const shaders: Shader[] = [];
  const dispatches: PlanDispatch[] = [];
  const configs: WgslConfig[] = [];
  const dotted = new Set<number>();
  mod.kernels.forEach((k, ki) => {
    const params = new Map<Buffer, number>();
    k.func.inputs.forEach((b, i) => {
      const v = k.inputs[i];
      if (!bufOf.has(v)) {
        if (!v.constant) throw new Error(`wgsl: kernel ${k.name} reads "${v.name}", which nothing computed`);
        bufOf.set(v, weightBuffer(v));
      }
      params.set(b, bufOf.get(v)!);
    });
    k.func.outputs.forEach((b, i) => {
      const v = k.outputs[i];
      const bytes = bytesOf(v);
      unshared += bytes;
      const id = graphOutputs.has(v) ? newBuffer(bytes, 'output') : pool.take(bytes);
      bufOf.set(v, id);
      params.set(b, id);
    });
    const split = splitStages(k.func);
    const cfg = kernelConfig(k, profile);
    configs.push(cfg);
    const temps = split.temps.map((b) => { unshared += width(b.dtype) * b.size; const id = pool.take(width(b.dtype) * Math.max(1, b.size)); params.set(b, id); return id; });
    for (const [si, stage] of split.stages.entries()) {
      const tiled = tileStage(stage, cfg.stages[si]);
      if (tiled.dot4) dotted.add(ki);
      const subgroup = tiled.bcast ? profile.subgroupSize : undefined;
      const sh = emitStage(`${k.name} (stage ${shaders.length})`, tiled.stage, { limits: profile.limits, workgroup: tiled.workgroup, hoist: tiled.hoist, dot4: profile.int8Dot, f16, subgroup });
      shaders.push(sh);
      const bindings = sh.bindings.map((bd) => params.get(bd.buffer) ?? fail(k, bd.buffer));
      let copies: PlanCopy[] | undefined;
      if (sh.pack) {
        // The pack lives only during its dispatch: taken from the pool and given back at once.
        const pack = pool.take(4 * sh.pack.elems);
        copies = sh.pack.members.map((m) => ({ src: params.get(m.buffer) ?? fail(k, m.buffer), dst: pack, dstOffset: 4 * m.offset, bytes: 4 * Math.max(1, m.buffer.size) }));
        bindings.push(pack);
        pool.release(pack);
      }
      dispatches.push({ kernel: ki, shader: shaders.length - 1, workgroups: [...sh.dispatch], bindings, ...(copies ? { copies } : {}) });
    }
    for (const t of temps) pool.release(t);
    for (const v of new Set(k.inputs)) {
      if (lastUse.get(v) === ki && buffers[bufOf.get(v)!].kind === 'pool' && !graphOutputs.has(v)) pool.release(bufOf.get(v)!);
    }
  });

  const io = (v: Value): PlanIo => ({ name: v.name, dtype: v.type.dtype, shape: v.type.shape.map(Number), buffer: bufOf.get(v) ?? (v.constant ? weightBuffer(v) : -1) });
  const inputs = graph.inputs.map(io);
  const outputs = graph.outputs.map(io);
  for (const o of outputs) if (o.buffer < 0) throw new Error(`wgsl: graph output "${o.name}" is not computed by any kernel`);
  const weightsBlob = new Uint8Array(weightBytes);
  let off = 0;
  for (const c of weightChunks) { weightsBlob.set(c, off); off += c.byteLength; }
  const peak = buffers.reduce((a, b) => a + b.bytes, 0);
  const fixed = buffers.filter((b) => b.kind !== 'pool').reduce((a, b) => a + b.bytes, 0);
  const plan: HostPlan = {
    format: 'tscc-wgsl-plan', version: 1, weightsFile: 'weights.bin', buffers, weights, inputs, outputs,
    ...(f16 ? { f16: true } : {}),
    ...(shaders.some((sh) => sh.subgroups) ? { subgroups: true } : {}),
    shaders: shaders.map((_, i) => `kernels/${String(i).padStart(3, '0')}.wgsl`), dispatches,
    kernels: mod.kernels.map((k, i) => ({
      name: k.name, ops: kernelOps(k), config: configs[i], tuned: k.config !== undefined,
      precision: dotted.has(i) ? (profile.int8Dot ? 'int8 (dot4I8Packed, i32 sums)' : 'int8 (i32 sums)') : 'f32',
    })),
    peakBytes: peak, unsharedBytes: fixed + unshared - buffers.filter((b) => b.kind === 'output').reduce((a, b) => a + b.bytes, 0),
  };
  return { plan, shaderCode: shaders.map((s) => s.code), weights: weightsBlob };
}

/** The plan's config for a kernel (checked against the device), or the default rule's. */
function kernelConfig(k: KernelPlan, profile: DeviceProfile): WgslConfig {
  if (k.config === undefined) return defaultConfig(k.func, profile);
  let cfg: WgslConfig;
  try {
    cfg = parseConfig(k.config);
  } catch (e) {
    throw new TargetError(`wgsl: kernel ${k.name}: ${(e as Error).message}`);
  }
  const why = checkConfig(k.func, cfg, profile);
  if (why.length > 0) throw new TargetError(`wgsl: kernel ${k.name}: invalid config: ${why.join('; ')}`);
  return cfg;
}

export function kernelOps(k: KernelPlan): string[] {
  const members = k.node.body ? k.node.body.nodes : [k.node];
  return members.map((m) => m.name || m.op);
}

function fail(k: KernelPlan, b: Buffer): never {
  throw new Error(`wgsl: kernel ${k.name} uses buffer ${b.name}, which is neither a parameter nor a temporary`);
}

/** A constant in device storage: f32 for floats (f16 bits with `f16`), i32 for integers and bools. */
export function deviceBytes(t: Tensor, f16 = false): Uint8Array {
  if (f16 && t.dtype === 'f16') {
    const bits = Uint16Array.from(t.data as ArrayLike<number>);
    const out = new Uint8Array(Math.max(4, Math.ceil(bits.byteLength / 4) * 4));
    out.set(new Uint8Array(bits.buffer));
    return out;
  }
  const nums = t.toNumbers();
  const arr = isFloat(t.dtype) ? Float32Array.from(nums) : Int32Array.from(nums, (x) => Math.max(-2147483648, Math.min(2147483647, x)));
  const out = new Uint8Array(Math.max(4, arr.byteLength));
  out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  return out;
}

/** Free pool buffers, reused best-fit; a buffer grows when a larger value takes it over. */
class Pool {
  private readonly free = new Set<number>();
  constructor(private readonly buffers: PlanBuffer[]) {}

  take(bytes: number): number {
    let best = -1;
    for (const id of this.free) {
      const b = this.buffers[id].bytes;
      if (b >= bytes && (best < 0 || b < this.buffers[best].bytes)) best = id;
    }
    if (best < 0) {
      // Grow the largest free buffer rather than adding one, when there is any.
      for (const id of this.free) if (best < 0 || this.buffers[id].bytes > this.buffers[best].bytes) best = id;
      if (best >= 0) this.buffers[best].bytes = bytes;
    }
    if (best >= 0) { this.free.delete(best); return best; }
    this.buffers.push({ bytes, kind: 'pool' });
    return this.buffers.length - 1;
  }

  release(id: number): void { this.free.add(id); }
}
