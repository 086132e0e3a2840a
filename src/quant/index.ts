// Public surface of the quantization numerics (see README.md).
export * from './precision.ts';
export * from './affine.ts';
export * from './activations.ts';
export * from './weights.ts';
export * from './requant.ts';
export * from './observers.ts';
export * from './mx.ts';
export { MINIFLOATS, decodeMini, encodeMini, type MiniFloatName } from './minifloat.ts';
export { packBits, unpackBits } from './pack.ts';
