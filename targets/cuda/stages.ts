// A lowered function with several stages (LayerNorm: sum → sum of squares → normalize) needs every
// thread of a stage done before the next stage reads its buffer — a grid-wide barrier, which CUDA
// spells "the next kernel launch". So before scheduling, such a function is cut into one function per
// stage; the buffers the stages pass along (allocated around them) become global temporaries that
// the host plan places in its arena. Each part is a valid PrimFunc the interpreter can run.
import { buffer, type Buffer } from '../../src/ir/tensor/buffer.ts';
import { type Expr, binary, call, cast, load, select, unary } from '../../src/ir/tensor/expr.ts';
import { PrimFunc } from '../../src/ir/tensor/func.ts';
import { type Stmt, store } from '../../src/ir/tensor/stmt.ts';
import { readIn, writtenIn } from '../../src/schedule/access.ts';
import { mapExprs, mapStores } from '../../src/schedule/tree.ts';

export interface StagePart {
  readonly func: PrimFunc;
  /** Temporaries (global-scope copies of the original's allocations) among the part's params. */
  readonly temps: readonly Buffer[];
}

/** Peels allocations wrapping the body: the buffers and the statement inside them. */
function peel(s: Stmt): { allocs: Buffer[]; inner: Stmt } {
  const allocs: Buffer[] = [];
  while (s.kind === 'allocate') { allocs.push(s.buffer); s = s.body; }
  return { allocs, inner: s };
}

/** Every load of and store to a buffer in `map` retargeted to its replacement. */
function renameBuffers(s: Stmt, map: ReadonlyMap<Buffer, Buffer>): Stmt {
  const memo = new Map<Expr, Expr>();
  const ren = (e: Expr): Expr => {
    let out = memo.get(e);
    if (out) return out;
    switch (e.kind) {
      case 'var': case 'const': out = e; break;
      case 'load': out = load(map.get(e.buffer) ?? e.buffer, e.indices.map(ren)); break;
      case 'binary': out = binary(e.op, ren(e.a), ren(e.b)); break;
      case 'unary': out = unary(e.op, ren(e.a)); break;
      case 'cast': out = cast(e.dtype, ren(e.a)); break;
      case 'select': out = select(ren(e.cond), ren(e.a), ren(e.b)); break;
      case 'call': out = call(e.fn, e.args.map(ren)); break;
    }
    memo.set(e, out);
    return out;
  };
  return mapStores(mapExprs(s, ren), (st) => (map.has(st.buffer) ? store(map.get(st.buffer)!, st.indices, st.value) : undefined));
}

/** One part per top-level stage when `f` allocates buffers around a sequence of stages; else [f]. */
export function splitStages(f: PrimFunc): StagePart[] {
  const { allocs, inner } = peel(f.body);
  if (allocs.length === 0 || inner.kind !== 'seq') return [{ func: f, temps: [] }];
  const globals = new Map(allocs.map((b) => [b, buffer(`${f.name}_${b.name}`, b.dtype, b.shape, 'global')]));
  const temps = new Set(globals.values());
  return inner.stmts.map((stage, k) => {
    const body = renameBuffers(stage, globals);
    const written = writtenIn(body), read = readIn(body);
    const params = [...f.params, ...temps];
    const outputs = params.filter((b) => written.has(b));
    const inputs = params.filter((b) => read.has(b) && !written.has(b));
    const func = new PrimFunc(`${f.name}_s${k}`, inputs, outputs, body);
    return { func, temps: [...inputs, ...outputs].filter((b) => temps.has(b)) };
  });
}
