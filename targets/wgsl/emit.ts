// One stage → one WGSL compute shader: storage bindings for the buffers it touches, a workgroup
// size, and either the flattened parallel loops (one invocation per iteration, the grid folded into
// 2-D/3-D when it exceeds the per-dimension dispatch limit) or the schedule's bound thread axes.
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import { type Expr, Var, add, children as childExprs, freeVars, int, mul } from '../../src/ir/tensor/expr.ts';
import type { For, Stmt, ThreadAxis } from '../../src/ir/tensor/stmt.ts';
import type { Limits } from './limits.ts';
import { ExprRenderer, HELPERS, PACK, bufName, isRegisterFile, nonNegative, registerName, storageType, varName } from './render.ts';
import { type Stage, forEachStmt } from './stages.ts';

export interface Binding { readonly buffer: Buffer; readonly write: boolean }

/** Read-only buffers the host copies into one binding (at element offsets) before the dispatch. */
export interface Pack { readonly members: readonly { readonly buffer: Buffer; readonly offset: number }[]; readonly elems: number }

export interface Shader {
  readonly code: string;
  /** In binding order; a pack, when there is one, is bound after them. */
  readonly bindings: readonly Binding[];
  readonly pack?: Pack;
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: readonly [number, number, number];
  /** Invocations that do work (for reports). */
  readonly invocations: number;
  /** The shader uses subgroup operations (the device needs the `subgroups` feature). */
  readonly subgroups?: boolean;
}

export interface EmitOptions {
  readonly limits: Limits;
  /** Invocations per workgroup for flattened stages. */
  readonly workgroup: number;
  /** Sums of four i8 products become dot4I8Packed (int8.ts). */
  readonly dot4?: boolean;
  /** The device has shader-f16: f16 buffers are stored as f16 (2 bytes). */
  readonly f16?: boolean;
  /** Loads to hoist into `let`s at the top of straight-line blocks (see tile.ts). */
  readonly hoist?: ReadonlyMap<Stmt, readonly Expr[]>;
  /**
   * Subgroup size for subgroup sharing (config `bcast`): hoisted loads that are equal on every lane
   * of a subgroup are loaded one per lane and broadcast (see `emitShared`).
   */
  readonly subgroup?: number;
}

export function emitStage(name: string, stage: Stage, opts: EmitOptions): Shader {
  const nonNeg = new Set<Var>();
  const r = new ExprRenderer(nonNeg);
  const f16 = opts.f16 ?? false;
  const { bindings, pack } = packBindings(name, stageBindings(stage.body), opts.limits.maxStorageBuffersPerShaderStage, f16);
  r.packed = new Map(pack?.members.map((m) => [m.buffer, m.offset]));
  r.dot4 = opts.dot4 ?? false;
  r.f16 = f16;
  const shared: string[] = [];
  const lines: string[] = [];
  const ctx: Ctx = { r, shared, lines, hoist: opts.hoist ?? new Map(), nonNeg, lets: { n: 0 }, divergent: 0 };
  const sg = stage.bound.length === 0 ? opts.subgroup : undefined;
  let head: string[];
  let wg: [number, number, number];
  let dispatch: [number, number, number];
  let invocations: number;
  if (stage.bound.length > 0) {
    ({ head, wg, dispatch, invocations } = boundHead(stage.bound, nonNeg, opts.limits));
    emitStmt(ctx, stage.body, '  ');
  } else {
    const total = stage.parallel.reduce((n, l) => n * constOf(l.extent), 1);
    wg = [Math.max(1, Math.min(opts.workgroup, total)), 1, 1];
    const groups = Math.ceil(total / wg[0]);
    dispatch = fold(groups, opts.limits.maxComputeWorkgroupsPerDimension);
    invocations = total;
    const flat = `i32(((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * ${wg[0]}u + lidx)`;
    const ragged = groups * wg[0] !== total || dispatch[0] * dispatch[1] * dispatch[2] !== groups;
    if (sg && ragged) {
      // No early return: subgroupBroadcast needs every lane. Surplus invocations redo the last
      // element (clamped) and store nothing.
      head = [`  let gid_raw = ${flat};`, `  let live = gid_raw < ${total}i;`, `  let gid = min(gid_raw, ${total - 1}i);`];
      ctx.live = 'live';
    } else {
      head = [`  let gid = ${flat};`];
      if (ragged) head.push(`  if (gid >= ${total}i) { return; }`);
    }
    let stride = total;
    const varying = new Set<Var>();
    for (const l of stage.parallel) {
      const e = constOf(l.extent);
      stride /= e;
      // Equal on the lanes of an aligned block of sg invocations unless it changes within it.
      if (sg && e > 1 && stride % sg !== 0) varying.add(l.loopVar);
      const min = constOf(l.min);
      const v = e === 1 ? `${min}i` : `gid / ${stride}i % ${e}i${min ? ` + ${min}i` : ''}`;
      head.push(`  let ${varName(l.loopVar)} = ${stride === 1 && e === total ? `gid${min ? ` + ${min}i` : ''}` : v};`);
      if (min >= 0) nonNeg.add(l.loopVar);
    }
    if (sg && wg[0] % sg === 0) ctx.bcast = { size: sg, varying, used: false };
    emitStmt(ctx, stage.inner, '  ');
  }
  const decls = bindings.map((b, i) =>
    `@group(0) @binding(${i}) var<storage, ${b.write ? 'read_write' : 'read'}> ${bufName(b.buffer)}: array<${storageType(b.buffer.dtype, f16)}>;`);
  if (pack) decls.push(`@group(0) @binding(${bindings.length}) var<storage, read> ${PACK}: array<u32>;`);
  const helpers = [...r.helpers].sort().map((h) => HELPERS[h]);
  const subgroups = ctx.bcast?.used ?? false;
  // Nothing was shared: the shader of the same stage without sharing (no clamped invocations).
  if (sg && !subgroups) return emitStage(name, stage, { ...opts, subgroup: undefined });
  const code = [
    ...(f16 ? ['enable f16;'] : []),
    ...(subgroups ? ['enable subgroups;'] : []),
    `// ${name}`,
    ...decls, ...shared, ...helpers,
    `@compute @workgroup_size(${wg.join(', ')})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,',
    `        @builtin(local_invocation_index) lidx: u32, @builtin(local_invocation_id) lid: vec3<u32>${subgroups ? ', @builtin(subgroup_invocation_id) sgid: u32' : ''}) {`,
    ...head, ...lines, '}', '',
  ].join('\n');
  return { code, bindings, pack, workgroupSize: wg, dispatch, invocations, ...(subgroups ? { subgroups } : {}) };
}

/** Splits a count of workgroups over up to three dimensions of at most `max` each. */
export function fold(groups: number, max: number): [number, number, number] {
  if (groups <= max) return [Math.max(groups, 1), 1, 1];
  const y = Math.ceil(groups / max);
  if (y <= max) return [max, y, 1];
  const z = Math.ceil(y / max);
  if (z > max) throw new Error(`wgsl: ${groups} workgroups exceed the device's dispatch limit`);
  return [max, max, z];
}

function boundHead(bound: readonly For[], nonNeg: Set<Var>, limits: Limits) {
  const ext = new Map<ThreadAxis, number>();
  const head: string[] = [];
  for (const l of bound) {
    const e = constOf(l.extent);
    const prev = ext.get(l.thread!);
    if (prev !== undefined && prev !== e) throw new Error(`wgsl: ${l.thread} is bound to loops of extents ${prev} and ${e}`);
    ext.set(l.thread!, e);
    const axis = l.thread!.endsWith('x') ? 'x' : l.thread!.endsWith('y') ? 'y' : 'z';
    const src = l.thread!.startsWith('block') ? `wid.${axis}` : `lid.${axis}`;
    const min = constOf(l.min);
    head.push(`  let ${varName(l.loopVar)} = i32(${src})${min ? ` + ${min}i` : ''};`);
    nonNeg.add(l.loopVar);
  }
  const g = (a: ThreadAxis) => ext.get(a) ?? 1;
  const wg: [number, number, number] = [g('threadIdx.x'), g('threadIdx.y'), g('threadIdx.z')];
  const dispatch: [number, number, number] = [g('blockIdx.x'), g('blockIdx.y'), g('blockIdx.z')];
  const threads = wg[0] * wg[1] * wg[2];
  if (threads > limits.maxComputeInvocationsPerWorkgroup) throw new Error(`wgsl: ${threads} threads per workgroup exceed the device's ${limits.maxComputeInvocationsPerWorkgroup}`);
  if (dispatch.some((d) => d > limits.maxComputeWorkgroupsPerDimension)) throw new Error(`wgsl: a bound block axis exceeds ${limits.maxComputeWorkgroupsPerDimension} workgroups`);
  return { head, wg, dispatch, invocations: threads * dispatch[0] * dispatch[1] * dispatch[2] };
}

interface Ctx {
  readonly r: ExprRenderer;
  readonly shared: string[];
  readonly lines: string[];
  readonly hoist: ReadonlyMap<Stmt, readonly Expr[]>;
  readonly nonNeg: Set<Var>;
  /** Names of hoisted `let`s, numbered per shader. */
  readonly lets: { n: number };
  /** Subgroup sharing: the subgroup size and the loop variables that differ between its lanes. */
  bcast?: { readonly size: number; readonly varying: ReadonlySet<Var>; used: boolean };
  /** Depth of control flow that lanes of a subgroup may take differently (no sharing inside). */
  divergent: number;
  /** Name of the flag of invocations that store (surplus ones past the extent do not). */
  live?: string;
}

function emitStmt(c: Ctx, s: Stmt, ind: string): void {
  const r = (e: Expr) => c.r.render(e);
  const lets = c.hoist.get(s);
  if (lets) {
    const done = emitShared(c, lets, ind);
    c.r.reset();
    for (const e of lets) {
      if (done.has(e)) continue;
      const name = `t${c.lets.n++}`;
      c.lines.push(`${ind}let ${name} = ${r(e)};`);
      c.r.names.set(e, name);
    }
    c.r.reset();
  }
  switch (s.kind) {
    case 'seq': for (const x of s.stmts) emitStmt(c, x, ind); break;
    case 'for': {
      if (s.loopKind === 'bound') { emitStmt(c, s.body, ind); break; }
      const v = varName(s.loopVar);
      if (nonNegative(s.min, c.nonNeg)) c.nonNeg.add(s.loopVar);
      const end = s.extent.kind === 'const' && s.min.kind === 'const' ? `${s.min.value + s.extent.value}i` : `${r(s.min)} + ${r(s.extent)}`;
      c.lines.push(`${ind}for (var ${v}: i32 = ${r(s.min)}; ${v} < ${end}; ${v}++) {`);
      // WGSL's uniformity analysis counts anything derived from the invocation id as non-uniform.
      const div = s.min.kind === 'const' && s.extent.kind === 'const' ? 0 : 1;
      c.divergent += div;
      emitStmt(c, s.body, ind + '  ');
      c.divergent -= div;
      c.lines.push(`${ind}}`);
      break;
    }
    case 'store': {
      const value = s.buffer.dtype === 'bool' ? `select(0i, 1i, ${r(s.value)})` : r(s.value);
      if (isRegisterFile(s.buffer)) { c.lines.push(`${ind}${registerName(s.buffer, s.indices)} = ${value};`); break; }
      const narrow = c.r.f16 && s.buffer.dtype === 'f16' && s.buffer.scope === 'global';
      const text = `${bufName(s.buffer)}[${r(flatten(s.buffer, s.indices))}] = ${narrow ? `f16(${value})` : value};`;
      const global = s.buffer.scope === 'global';
      c.lines.push(`${ind}${c.live && global ? `if (${c.live}) { ${text} }` : text}`);
      break;
    }
    case 'if': {
      c.lines.push(`${ind}if (${r(s.cond)}) {`);
      c.divergent++;
      emitStmt(c, s.then, ind + '  ');
      if (s.otherwise) { c.lines.push(`${ind}} else {`); emitStmt(c, s.otherwise, ind + '  '); }
      c.divergent--;
      c.lines.push(`${ind}}`);
      break;
    }
    case 'allocate': {
      const decl = `${bufName(s.buffer)}: array<${storageType(s.buffer.dtype)}, ${Math.max(1, s.buffer.size)}>`;
      if (isRegisterFile(s.buffer)) {
        for (let k = 0; k < s.buffer.size; k++) c.lines.push(`${ind}var ${bufName(s.buffer)}_${k}: ${storageType(s.buffer.dtype)};`);
      } else if (s.buffer.scope === 'shared') c.shared.push(`var<workgroup> ${decl};`);
      else c.lines.push(`${ind}var ${decl};`);
      emitStmt(c, s.body, ind);
      break;
    }
    case 'barrier': c.lines.push(`${ind}workgroupBarrier();`); break;
    case 'intrinsic': throw new Error(`wgsl: the intrinsic ${s.name} has no WGSL lowering`);
  }
  if (lets) { for (const e of lets) c.r.names.delete(e); c.r.reset(); }
}

/** Does `e` depend on a loop variable that differs between the lanes of a subgroup? */
function differs(c: Ctx, e: Expr): boolean {
  if (!c.bcast) return false;
  return [...freeVars(e)].some((v) => c.bcast!.varying.has(v));
}

/**
 * Subgroup sharing of a block's hoisted loads: the loads whose address is the same on every lane
 * (no lane-varying variable in it), taken per buffer in groups of the subgroup size, are loaded
 * once — lane j loads the group's j-th element — and each element is then read from its lane with
 * subgroupBroadcast (a register shuffle): one gather instead of `size`. Returns the loads emitted.
 */
function emitShared(c: Ctx, lets: readonly Expr[], ind: string): Set<Expr> {
  const done = new Set<Expr>();
  const b = c.bcast;
  if (!b || c.divergent > 0) return done;
  const byBuffer = new Map<Buffer, Expr[]>();
  for (const e of lets) {
    if (e.kind !== 'load' || e.buffer.scope !== 'global' || e.dtype === 'bool' || c.r.packed.has(e.buffer)) continue;
    if (c.r.f16 && e.buffer.dtype === 'f16') continue;
    if (differs(c, e)) continue;
    byBuffer.set(e.buffer, [...(byBuffer.get(e.buffer) ?? []), e]);
  }
  for (const [buf, loads] of byBuffer) {
    if (loads.length < 2) continue;
    for (let at = 0; at < loads.length; at += b.size) {
      const group = loads.slice(at, at + b.size);
      const idx = group.map((e) => c.r.render(c.r.index(buf, (e as { indices: readonly Expr[] }).indices)));
      const pick = idx.slice(1).reduce((acc, x, j) => `select(${acc}, ${x}, sgid == ${j + 1}u)`, idx[0]);
      const name = `s${c.lets.n++}`;
      c.lines.push(`${ind}let ${name} = ${bufName(buf)}[${pick}];`);
      group.forEach((e, j) => {
        const t = `t${c.lets.n++}`;
        c.lines.push(`${ind}let ${t} = subgroupBroadcast(${name}, ${j}u);`);
        c.r.names.set(e, t);
        done.add(e);
      });
      b.used = true;
    }
  }
  return done;
}

function flatten(b: Buffer, idx: readonly Expr[]): Expr {
  let flat: Expr = int(0);
  let stride = 1;
  for (let k = idx.length - 1; k >= 0; k--) {
    flat = addMul(flat, idx[k], stride);
    stride *= b.shape[k];
  }
  return flat;
}

function addMul(acc: Expr, e: Expr, k: number): Expr { return add(acc, mul(e, int(k))); }

/**
 * A stage touching more buffers than the device binds: its smallest read-only buffers share one
 * binding, filled by buffer-to-buffer copies before the dispatch (unrolled recurrences and wide
 * concatenations read dozens of small tensors).
 */
function packBindings(name: string, all: Binding[], limit: number, f16: boolean): { bindings: Binding[]; pack?: Pack } {
  if (all.length <= limit) return { bindings: all };
  const need = all.length - limit + 1;
  // The pack holds 4-byte elements: 2-byte f16 storage stays in its own binding.
  const readOnly = all.filter((b) => !b.write && !(f16 && b.buffer.dtype === 'f16')).sort((x, y) => x.buffer.size - y.buffer.size);
  if (readOnly.length < need) throw new Error(`wgsl: kernel ${name} writes ${all.length - readOnly.length} buffers and reads ${readOnly.length}; the device binds ${limit}`);
  const chosen = readOnly.slice(0, need);
  let elems = 0;
  const members = chosen.map((b) => { const m = { buffer: b.buffer, offset: elems }; elems += Math.max(1, b.buffer.size); return m; });
  return { bindings: all.filter((b) => !chosen.includes(b)), pack: { members, elems } };
}

/** Global buffers a stage reads or writes, in first-use order; local and shared ones are declared inside. */
function stageBindings(body: Stmt): Binding[] {
  const out = new Map<Buffer, boolean>();
  const local = new Set<Buffer>();
  const seen = new Set<Expr>();
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.kind === 'load' && !out.has(e.buffer)) out.set(e.buffer, false);
    for (const ch of childExprs(e)) visit(ch);
  };
  forEachStmt(body, (s) => {
    if (s.kind === 'allocate') local.add(s.buffer);
    if (s.kind === 'store') { s.indices.forEach(visit); visit(s.value); out.set(s.buffer, true); }
    if (s.kind === 'for') { visit(s.min); visit(s.extent); }
    if (s.kind === 'if') visit(s.cond);
  });
  return [...out].filter(([b]) => !local.has(b)).map(([buffer, write]) => ({ buffer, write }));
}

function constOf(e: Expr): number {
  if (e.kind !== 'const') throw new Error('wgsl: a parallel or bound loop needs constant bounds');
  return e.value;
}
