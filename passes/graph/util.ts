// Small helpers the graph passes share.
import type { TensorType } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import type { Attr } from '../../src/ir/graph/attrs.ts';

export function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

/** The single value every element of `t` has, or undefined. */
export function uniformValue(t: Tensor | undefined): number | undefined {
  if (!t || t.size === 0) return undefined;
  const v = t.toNumbers();
  return v.every((x) => x === v[0]) ? v[0] : undefined;
}

export function intsAttr(attrs: Readonly<Record<string, Attr>> | undefined, key: string): readonly number[] | undefined {
  const a = attrs?.[key];
  return a && a.kind === 'ints' ? a.value : undefined;
}

export function ints(value: readonly number[]): Attr { return { kind: 'ints', value }; }
