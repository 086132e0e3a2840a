// Buffers of the tensor IR: named, typed, statically shaped arrays in a memory scope.
import type { DType } from '../graph/dtype.ts';

export type Scope = 'global' | 'shared' | 'local' | 'scratchpad' | 'accumulator';
export const SCOPES: readonly Scope[] = ['global', 'shared', 'local', 'scratchpad', 'accumulator'];

let nextId = 0;
const table = new Map<string, Buffer>();

export class Buffer {
  readonly id = nextId++;
  constructor(
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly scope: Scope,
  ) {}
  get size(): number { return this.shape.reduce((a, b) => a * b, 1); }
  get rank(): number { return this.shape.length; }
}

/** Interned: the same name, dtype, shape and scope give the same Buffer. Names are unique within a function. */
export function buffer(name: string, dtype: DType, shape: readonly number[], scope: Scope = 'global'): Buffer {
  const key = `${name}|${dtype}|${shape.join(',')}|${scope}`;
  let b = table.get(key);
  if (!b) { b = new Buffer(name, dtype, Object.freeze([...shape]), scope); table.set(key, b); }
  return b;
}
