// The graph IR: values in SSA form, nodes in topological order. A Graph is immutable once built;
// passes describe a new graph as a GraphSpec and build it, so the old graph stays valid.
import { ModelError, nodeRef } from '../../util/errors.ts';
import { AttrReader, type Attrs } from './attrs.ts';
import type { DType } from './dtype.ts';
import type { Tensor } from './tensor.ts';

/** A dimension: a size, or the name of a symbolic size such as "batch". */
export type Dim = number | string;

export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** Quantization parameters attached to a node by the quantizer. */
export interface QuantInfo {
  readonly precision: string;
  readonly [key: string]: unknown;
}

export interface ValueSpec {
  readonly name: string;
  readonly type: TensorType;
  readonly constant?: Tensor;
}

export interface NodeSpec {
  readonly name: string;
  readonly op: string;
  readonly domain?: string;
  /** Value names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Attrs;
  readonly target?: string;
  readonly quant?: QuantInfo;
  readonly body?: Graph;
}

export interface GraphSpec {
  readonly name: string;
  /** Opset version per domain ('' is the default ONNX domain). */
  readonly opsets: Readonly<Record<string, number>>;
  readonly inputs: readonly ValueSpec[];
  readonly constants: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly outputs: readonly string[];
  /** Types of every node output. */
  readonly types: ReadonlyMap<string, TensorType>;
  /** Types of values captured from an enclosing graph (subgraph bodies only). */
  readonly outer?: ReadonlyMap<string, TensorType>;
}

export class Value {
  producer: Node | null = null;
  readonly consumers: Node[] = [];
  constructor(
    readonly name: string,
    readonly type: TensorType,
    readonly constant?: Tensor,
  ) {}
  get isConstant(): boolean { return this.constant !== undefined; }
}

export class Node {
  readonly attr: AttrReader;
  constructor(
    readonly name: string,
    readonly op: string,
    readonly domain: string,
    readonly inputs: readonly (Value | null)[],
    readonly outputs: readonly Value[],
    readonly attrs: Attrs,
    readonly target?: string,
    readonly quant?: QuantInfo,
    readonly body?: Graph,
  ) {
    this.attr = new AttrReader(this);
  }

  /** The i-th input, or null when omitted or beyond the end. */
  input(i: number): Value | null { return this.inputs[i] ?? null; }

  toSpec(): NodeSpec {
    return {
      name: this.name, op: this.op, domain: this.domain,
      inputs: this.inputs.map((v) => v?.name ?? ''), outputs: this.outputs.map((v) => v.name),
      attrs: this.attrs, target: this.target, quant: this.quant, body: this.body,
    };
  }
}

export class Graph {
  private constructor(
    readonly name: string,
    readonly opsets: Readonly<Record<string, number>>,
    readonly inputs: readonly Value[],
    readonly outputs: readonly Value[],
    readonly nodes: readonly Node[],
    readonly values: ReadonlyMap<string, Value>,
    /** Values this graph reads from an enclosing graph. */
    readonly captures: readonly Value[],
  ) {}

  get opset(): number { return this.opsets[''] ?? 0; }
  get constants(): Value[] { return [...this.values.values()].filter((v) => v.isConstant); }
  value(name: string): Value | undefined { return this.values.get(name); }

  /** Builds and verifies: SSA, topological order, every use defined, every value typed. */
  static build(spec: GraphSpec): Graph {
    const values = new Map<string, Value>();
    const captures: Value[] = [];
    const define = (v: Value, what: string) => {
      if (v.name === '') throw new ModelError(`graph "${spec.name}": ${what} has an empty name`);
      if (values.has(v.name)) throw new ModelError(`graph "${spec.name}": value "${v.name}" is defined twice (${what})`);
      values.set(v.name, v);
    };
    const inputs = spec.inputs.map((s) => { const v = new Value(s.name, s.type); define(v, 'graph input'); return v; });
    for (const c of spec.constants) {
      if (!c.constant) throw new ModelError(`graph "${spec.name}": constant "${c.name}" has no data`);
      define(new Value(c.name, c.type, c.constant), 'initializer');
    }
    const use = (name: string, user: string): Value => {
      const v = values.get(name);
      if (v) return v;
      const outer = spec.outer?.get(name);
      if (outer) {
        const cap = new Value(name, outer);
        values.set(name, cap);
        captures.push(cap);
        return cap;
      }
      throw new ModelError(`graph "${spec.name}": ${user} uses "${name}", which is not defined before it`);
    };
    const nodes = spec.nodes.map((ns) => {
      const ref = nodeRef(ns);
      const ins = ns.inputs.map((n) => (n === '' ? null : use(n, ref)));
      // What a nested subgraph reads from further out, this graph must capture and pass on.
      for (const a of Object.values(ns.attrs ?? {})) {
        if (a.kind === 'graph') for (const c of a.value.captures) if (!values.has(c.name) && spec.outer?.has(c.name)) use(c.name, ref);
      }
      const outs = ns.outputs.map((n) => {
        const t = spec.types.get(n);
        if (!t) throw new ModelError(`graph "${spec.name}": ${ref} output "${n}" has no type`);
        const v = new Value(n, t);
        define(v, `output of ${ref}`);
        return v;
      });
      const node = new Node(ns.name, ns.op, ns.domain ?? '', ins, outs, ns.attrs ?? {}, ns.target, ns.quant, ns.body);
      for (const o of outs) o.producer = node;
      for (const i of ins) if (i && !i.consumers.includes(node)) i.consumers.push(node);
      return node;
    });
    const outputs = spec.outputs.map((n) => use(n, 'graph output'));
    return new Graph(spec.name, spec.opsets, inputs, outputs, nodes, values, captures);
  }

  toSpec(): GraphSpec {
    const types = new Map<string, TensorType>();
    for (const n of this.nodes) for (const o of n.outputs) types.set(o.name, o.type);
    return {
      name: this.name, opsets: this.opsets,
      inputs: this.inputs.map((v) => ({ name: v.name, type: v.type })),
      constants: this.constants.map((v) => ({ name: v.name, type: v.type, constant: v.constant })),
      nodes: this.nodes.map((n) => n.toSpec()),
      outputs: this.outputs.map((v) => v.name),
      types,
      outer: this.captures.length ? new Map(this.captures.map((c) => [c.name, c.type])) : undefined,
    };
  }
}
