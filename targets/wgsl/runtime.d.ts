// Types of runtime.js (plain JavaScript so that browsers load it as is).
export interface RuntimeOutput { dtype: string; shape: number[]; data: Float32Array | Int32Array }
export declare class Session {
  readonly device: unknown;
  readonly ready: Promise<void>;
  lastTiming?: { totalMs: number; dispatches: number[] };
  run(inputs: Record<string, ArrayLike<number | bigint> | { data: ArrayLike<number | bigint> }>, opts?: { timing?: boolean }): Promise<Record<string, RuntimeOutput>>;
  destroy(): void;
}
export declare function createSession(gpu: unknown, plan: unknown, weights: ArrayBuffer, shaders: readonly string[]): Promise<Session>;
export declare function loadArtifact(gpu: unknown, baseUrl: string | URL): Promise<Session>;
export declare function f32ToF16(x: number): number;
export declare function f16ToF32(h: number): number;
