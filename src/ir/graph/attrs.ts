// Node attributes, with typed readers whose errors name the node, the op and the attribute.
import { AttributeError, nodeRef } from '../../util/errors.ts';
import type { Tensor } from './tensor.ts';
import type { Graph } from './graph.ts';

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'tensor'; value: Tensor }
  | { kind: 'graph'; value: Graph };

export type Attrs = Readonly<Record<string, Attr>>;

type KindValue<K extends Attr['kind']> = Extract<Attr, { kind: K }>['value'];

/** Reads attributes of one node; every accessor checks the kind. */
export class AttrReader {
  constructor(readonly node: { name: string; op: string; attrs: Attrs }) {}

  has(name: string): boolean { return name in this.node.attrs; }

  private get<K extends Attr['kind']>(name: string, kinds: K[]): KindValue<K> | undefined {
    const a: Attr | undefined = this.node.attrs[name];
    if (a === undefined) return undefined;
    if (!(kinds as string[]).includes(a.kind)) {
      throw new AttributeError(`${nodeRef(this.node)}: attribute "${name}" must be ${kinds.join(' or ')}, got ${a.kind}`);
    }
    return a.value as never;
  }

  private required<T>(name: string, v: T | undefined): T {
    if (v === undefined) throw new AttributeError(`${nodeRef(this.node)}: missing required attribute "${name}"`);
    return v;
  }

  int(name: string, dflt?: number): number { return this.required(name, this.get(name, ['int']) ?? dflt); }
  float(name: string, dflt?: number): number {
    return this.required(name, this.get(name, ['float', 'int']) ?? dflt);
  }
  string(name: string, dflt?: string): string { return this.required(name, this.get(name, ['string']) ?? dflt); }
  ints(name: string, dflt?: readonly number[]): readonly number[] {
    return this.required(name, this.get(name, ['ints']) ?? dflt);
  }
  intsOpt(name: string): readonly number[] | undefined { return this.get(name, ['ints']); }
  floats(name: string, dflt?: readonly number[]): readonly number[] {
    return this.required(name, this.get(name, ['floats']) ?? dflt);
  }
  strings(name: string, dflt?: readonly string[]): readonly string[] {
    return this.required(name, this.get(name, ['strings']) ?? dflt);
  }
  tensor(name: string): Tensor { return this.required(name, this.get(name, ['tensor'])); }
  tensorOpt(name: string): Tensor | undefined { return this.get(name, ['tensor']); }
  graph(name: string): Graph { return this.required(name, this.get(name, ['graph'])); }
}

export function formatAttr(a: Attr): string {
  switch (a.kind) {
    case 'int': case 'float': return String(a.value);
    case 'string': return JSON.stringify(a.value);
    case 'ints': case 'floats': return `[${a.value.join(', ')}]`;
    case 'strings': return `[${a.value.map((s) => JSON.stringify(s)).join(', ')}]`;
    case 'tensor': return `tensor<${a.value.dtype}[${a.value.shape.join(',')}]>`;
    case 'graph': return `graph<${a.value.name}>`;
  }
}
