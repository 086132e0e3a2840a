// The machine a heterogeneous placement targets, as data: devices (which tscc target runs there, its
// memory, and for devices without a simulator the numbers of an analytic roofline) and the links
// between them. Presets live in src/driver/hetero/systems/*.json; this file only knows the shape.

export interface DeviceSpec {
  /** The placement name: 'npu' | 'pim' | 'cuda' | 'wgsl' (one device per kind). */
  readonly id: string;
  /** The tscc target compiled for it, e.g. 'npu:onnxim-tpuv4', 'pim:hbm3', 'cuda:sm_80', 'wgsl'. */
  readonly target: string;
  /** Capacity for resident weights. */
  readonly memoryBytes: number;
  /** Roofline numbers, used where neither the tuning database nor a simulator gives a cost. */
  readonly peakGflops?: number;
  readonly bandwidthGBps?: number;
  /** Fixed cost of one kernel launch. */
  readonly launchUs?: number;
  readonly doc?: string;
}

export interface LinkSpec {
  readonly between: readonly [string, string];
  /** Zero-copy: both devices address the same memory (NPU and PIM on one HBM stack), so a tensor the
   *  producer wrote is where the consumer reads it and no copy is made. */
  readonly shared?: boolean;
  readonly gbps?: number;
  readonly latencyUs?: number;
  readonly doc?: string;
}

export interface SystemSpec {
  readonly name: string;
  readonly doc?: string;
  readonly devices: readonly DeviceSpec[];
  readonly links: readonly LinkSpec[];
}

/** Milliseconds to move `bytes` from device a to device b (0 on the same device or a shared link). */
export function transferMs(sys: SystemSpec, a: string, b: string, bytes: number): number {
  if (a === b) return 0;
  const l = findLink(sys, a, b);
  if (!l) return Infinity;
  if (l.shared) return 0;
  return (l.latencyUs ?? 0) / 1e3 + bytes / ((l.gbps ?? 0) * 1e6);
}

export function findLink(sys: SystemSpec, a: string, b: string): LinkSpec | undefined {
  return sys.links.find((l) => (l.between[0] === a && l.between[1] === b) || (l.between[0] === b && l.between[1] === a));
}

/** Link name for traces and reports ("npu↔pim"). */
export function linkName(a: string, b: string): string {
  return a < b ? `${a}↔${b}` : `${b}↔${a}`;
}
