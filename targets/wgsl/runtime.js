// tscc WebGPU runtime: executes a compiled artifact (plan.json + weights.bin + kernels/*.wgsl) with
// any WebGPU implementation — navigator.gpu in a browser, Dawn in Node (the `webgpu` package).
// Plain JavaScript with no imports, so a page can load it as an ES module next to the artifact.
//
//   import { loadArtifact } from './runtime.js';
//   const session = await loadArtifact(navigator.gpu, new URL('./', import.meta.url));
//   const outputs = await session.run({ x: new Float32Array(3 * 224 * 224) });  // { name: { dtype, shape, data } }
//
// Device storage is 4 bytes an element: floats as f32, integers and bools as i32. `run` converts
// typed arrays of any type into that; outputs come back as Float32Array or Int32Array.

const FLOATS = new Set(['f32', 'f64', 'f16', 'bf16', 'f8e4m3', 'f8e5m2']);

/** Loads an artifact folder from a URL (browser) and prepares a session. */
export async function loadArtifact(gpu, baseUrl) {
  const base = new URL(String(baseUrl).endsWith('/') ? String(baseUrl) : `${baseUrl}/`, globalThis.location?.href);
  const get = async (rel) => {
    const res = await fetch(new URL(rel, base));
    if (!res.ok) throw new Error(`tscc runtime: cannot fetch ${rel} (${res.status})`);
    return res;
  };
  const plan = await (await get('plan.json')).json();
  const weights = plan.weightsFile ? await (await get(plan.weightsFile)).arrayBuffer() : new ArrayBuffer(0);
  const shaders = await Promise.all(plan.shaders.map(async (f) => (await get(f)).text()));
  return createSession(gpu, plan, weights, shaders);
}

/** Requests a device with the adapter's limits that the plan needs, then builds the session. */
export async function createSession(gpu, plan, weights, shaders) {
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('tscc runtime: WebGPU has no adapter');
  const want = ['maxStorageBuffersPerShaderStage', 'maxStorageBufferBindingSize', 'maxBufferSize',
    'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup'];
  const requiredLimits = {};
  for (const k of want) if (adapter.limits[k] !== undefined) requiredLimits[k] = adapter.limits[k];
  // Timestamp queries time the GPU work itself (wall time in Node includes Dawn's polling).
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  if (plan.f16) {
    // The plan stores f16 values in 2 bytes: it was compiled for a device with shader-f16.
    if (!adapter.features.has('shader-f16')) throw new Error('tscc runtime: this artifact needs the shader-f16 feature, which the adapter lacks (recompile on this device)');
    requiredFeatures.push('shader-f16');
  }
  if (plan.subgroups) {
    // Some kernels share loads between the lanes of a subgroup (subgroupBroadcast).
    if (!adapter.features.has('subgroups')) throw new Error('tscc runtime: this artifact needs the subgroups feature, which the adapter lacks (recompile on this device)');
    requiredFeatures.push('subgroups');
  }
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  return new Session(device, plan, weights, shaders);
}

export class Session {
  constructor(device, plan, weights, shaders) {
    this.device = device;
    this.plan = plan;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.buffers = plan.buffers.map((b, i) => device.createBuffer({ size: Math.max(16, align4(b.bytes)), usage, label: `buf${i}` }));
    for (const w of plan.weights) {
      device.queue.writeBuffer(this.buffers[w.buffer], 0, new Uint8Array(weights, w.offset, w.bytes));
    }
    device.pushErrorScope('validation');
    const modules = shaders.map((code, i) => device.createShaderModule({ code, label: plan.shaders[i] }));
    this.dispatches = plan.dispatches.map((d) => {
      const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: modules[d.shader], entryPoint: 'main' } });
      const entries = d.bindings.map((buf, binding) => ({ binding, resource: { buffer: this.buffers[buf] } }));
      return { pipeline, group: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }), workgroups: d.workgroups, copies: d.copies };
    });
    this.ready = device.popErrorScope().then((e) => { if (e) throw new Error(`tscc runtime: ${e.message}`); });
  }

  /**
   * Runs one inference. `inputs`: name → typed array (or { data }). Returns name → { dtype, shape, data }.
   * With `{ timing: true }` (and the timestamp-query feature), `this.lastTiming` holds the GPU time of
   * the whole run and of each dispatch, in milliseconds.
   */
  async run(inputs, opts = {}) {
    await this.ready;
    const { device, plan } = this;
    for (const inp of plan.inputs) {
      const given = inputs[inp.name];
      if (given === undefined) throw new Error(`tscc runtime: missing input "${inp.name}"`);
      const data = toDevice(given.data ?? given, inp.dtype, plan.f16);
      const n = inp.shape.reduce((a, b) => a * b, 1);
      if (data.length !== n) throw new Error(`tscc runtime: input "${inp.name}" has ${data.length} elements, expected ${n}`);
      // writeBuffer takes whole 4-byte words (an odd count of f16 values is padded).
      const bytes = data.byteLength % 4 ? new Uint8Array(data.byteLength + 2) : null;
      if (bytes) bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (bytes) device.queue.writeBuffer(this.buffers[inp.buffer], 0, bytes.buffer, 0, bytes.byteLength);
      else device.queue.writeBuffer(this.buffers[inp.buffer], 0, data.buffer, data.byteOffset, data.byteLength);
    }
    const enc = device.createCommandEncoder();
    const timing = opts.timing && device.features.has('timestamp-query') ? this.timer() : null;
    if (timing) {
      this.dispatches.forEach((d, i) => {
        copy(enc, this.buffers, d.copies);
        const pass = enc.beginComputePass({ timestampWrites: { querySet: timing.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        encode(pass, d);
        pass.end();
      });
      enc.resolveQuerySet(timing.set, 0, timing.count, timing.resolve, 0);
      enc.copyBufferToBuffer(timing.resolve, 0, timing.read, 0, timing.count * 8);
    } else {
      // One pass, except that copies filling a pack (plan.dispatches[i].copies) go between passes.
      let pass = enc.beginComputePass();
      for (const d of this.dispatches) {
        if (d.copies) { pass.end(); copy(enc, this.buffers, d.copies); pass = enc.beginComputePass(); }
        encode(pass, d);
      }
      pass.end();
    }
    const reads = plan.outputs.map((o) => {
      const bytes = Math.max(4, width(o.dtype, plan.f16) * o.shape.reduce((a, b) => a * b, 1));
      const staging = device.createBuffer({ size: align4(bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      enc.copyBufferToBuffer(this.buffers[o.buffer], 0, staging, 0, align4(bytes));
      return staging;
    });
    device.queue.submit([enc.finish()]);
    if (timing) this.lastTiming = await timing.collect();
    const out = {};
    await Promise.all(plan.outputs.map(async (o, i) => {
      await reads[i].mapAsync(GPUMapMode.READ);
      const n = o.shape.reduce((a, b) => a * b, 1);
      const raw = reads[i].getMappedRange().slice(0, width(o.dtype, plan.f16) * n);
      reads[i].unmap();
      reads[i].destroy();
      const data = width(o.dtype, plan.f16) === 2 ? Float32Array.from(new Uint16Array(raw), f16ToF32)
        : FLOATS.has(o.dtype) ? new Float32Array(raw) : new Int32Array(raw);
      out[o.name] = { dtype: o.dtype, shape: o.shape, data };
    }));
    return out;
  }

  timer() {
    const count = 2 * this.dispatches.length;
    const device = this.device;
    const set = device.createQuerySet({ type: 'timestamp', count });
    const resolve = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const collect = async () => {
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      [set, resolve, read].forEach((x) => x.destroy());
      const dispatches = this.dispatches.map((_, i) => Number(t[2 * i + 1] - t[2 * i]) / 1e6);
      return { totalMs: dispatches.reduce((a, b) => a + b, 0), dispatches };
    };
    return { set, resolve, read, count, collect };
  }

  destroy() {
    for (const b of this.buffers) b.destroy();
    this.device.destroy();
  }
}

function encode(pass, d) {
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.group);
  pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
}

function copy(enc, buffers, copies) {
  for (const c of copies ?? []) enc.copyBufferToBuffer(buffers[c.src], 0, buffers[c.dst], c.dstOffset, c.bytes);
}

function align4(n) { return Math.ceil(n / 4) * 4; }

/** Bytes an element of `dtype` takes on the device: 4, or 2 for f16 in an f16 plan. */
function width(dtype, f16) { return f16 && dtype === 'f16' ? 2 : 4; }

function toDevice(data, dtype, f16) {
  if (f16 && dtype === 'f16') return data instanceof Uint16Array ? data : Uint16Array.from(data, (v) => f32ToF16(Number(v)));
  if (FLOATS.has(dtype)) {
    if (data instanceof Float32Array) return data;
    if (dtype === 'f16' && data instanceof Uint16Array) return Float32Array.from(data, f16ToF32);
    return Float32Array.from(data, Number);
  }
  if (data instanceof Int32Array) return data;
  return Int32Array.from(data, (v) => Number(v));
}

/** f32 → f16 bits, rounding to nearest even (overflow → ±Infinity, tiny → subnormal or 0). */
export function f32ToF16(x) {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (r & 1))) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) { r++; if (r === 0x400) { r = 0; e++; if (e >= 31) return sign | 0x7c00; } }
  return sign | (e << 10) | r;
}

export function f16ToF32(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
