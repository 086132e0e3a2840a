// The 8-bit float codec lives in src/util/float8.ts (the Tensor IR interpreter needs it too, and
// src/ir must not import the runtime); re-exported here for the kernels that import it from here.
export { decodeF8, encodeF8, isF8, type F8 } from '../../util/float8.ts';
