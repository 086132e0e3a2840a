// Float in/out for the norm-family kernels. They are registered as 'any' kernels and widen their
// inputs themselves, because their parameters may have a different float type than X (BatchNorm-15
// allows f16 X with f32 scale) and LayerNorm's statistics outputs use stash_type, not X's type.
import type { DType } from '../../ir/graph/dtype.ts';
import { Tensor } from '../../ir/graph/tensor.ts';

/** Elements of a float tensor as f32 (shares storage when it already is f32). */
export function readFloats(t: Tensor): Float32Array {
  return t.toF32();
}

/** A tensor of `dtype` holding f32 results, narrowing or widening when dtype is not f32. */
export function floatTensor(dtype: DType, shape: readonly number[], data: Float32Array): Tensor {
  return dtype === 'f32' ? new Tensor('f32', shape, data) : Tensor.fromNumbers(dtype, shape, data);
}
