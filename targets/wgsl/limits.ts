// What the code generator must know about the device, as data. Limits come from the adapter
// (`adapterProfile` reads them from a GPUAdapter); a compile without an adapter at hand uses the
// WebGPU defaults every implementation guarantees.
//
// `kind` picks the default schedules: on a CPU implementation (SwiftShader, lavapipe) every
// dynamically indexed load is a per-lane gather, so arithmetic per load is what counts and kernels
// use register tiles without workgroup memory; on a real GPU, workgroup-shared tiling wins.

export interface Limits {
  readonly maxStorageBuffersPerShaderStage: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
}

export interface DeviceProfile {
  /** 'cpu' for software rasterizers (SwiftShader, lavapipe), 'gpu' otherwise. */
  readonly kind: 'cpu' | 'gpu';
  readonly limits: Limits;
  /** Adapter description, for reports. */
  readonly description: string;
  /** WGSL's `packed_4x8_integer_dot_product` language feature (dot4I8Packed, pack4xI8). */
  readonly int8Dot?: boolean;
  /** The adapter's `shader-f16` feature (`enable f16;`). */
  readonly f16?: boolean;
  /**
   * Subgroup size when the adapter has the `subgroups` feature and one fixed size (min = max; 4 on
   * SwiftShader, its SIMD width): configs may then share loads between a subgroup's lanes.
   */
  readonly subgroupSize?: number;
}

/** The limits every WebGPU implementation guarantees (the spec's defaults). */
export const DEFAULT_LIMITS: Limits = {
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 16384,
  maxStorageBufferBindingSize: 134217728,
  maxBufferSize: 268435456,
};

export const PROFILES: Readonly<Record<string, DeviceProfile>> = {
  cpu: { kind: 'cpu', limits: DEFAULT_LIMITS, description: 'a CPU WebGPU implementation (SwiftShader, lavapipe)' },
  gpu: { kind: 'gpu', limits: DEFAULT_LIMITS, description: 'a GPU' },
};

interface AdapterLike {
  readonly limits: Record<string, unknown>;
  readonly features?: { has(name: string): boolean };
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; subgroupMinSize?: number; subgroupMaxSize?: number };
}

/**
 * The profile of a real adapter: its own limits and features, and 'cpu' when it is a software
 * implementation. WGSL language features are a property of the `gpu` object (navigator.gpu).
 */
export function adapterProfile(adapter: AdapterLike, gpu?: { wgslLanguageFeatures?: { has(name: string): boolean } }): DeviceProfile {
  const limits = Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((k) => [k, Number(adapter.limits[k] ?? DEFAULT_LIMITS[k as keyof Limits])])) as unknown as Limits;
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  // Dawn reports SwiftShader as vendor "google", architecture "swiftshader"; lavapipe as "mesa"/"llvmpipe".
  const cpu = /swiftshader|llvmpipe|lavapipe|software/i.test(text) || text === '';
  return {
    kind: cpu ? 'cpu' : 'gpu', limits, description: text || 'unknown adapter',
    int8Dot: gpu?.wgslLanguageFeatures?.has('packed_4x8_integer_dot_product') ?? false,
    f16: adapter.features?.has('shader-f16') ?? false,
    ...(fixedSubgroup(adapter) ? { subgroupSize: fixedSubgroup(adapter) } : {}),
  };
}

/** The subgroup size when the adapter has `subgroups` and a single size (else undefined). */
function fixedSubgroup(adapter: AdapterLike): number | undefined {
  const lo = adapter.info?.subgroupMinSize, hi = adapter.info?.subgroupMaxSize;
  if (!adapter.features?.has('subgroups') || !lo || lo !== hi) return undefined;
  return lo;
}
