// Seeded byte-level mutations of ONNX files. Most of a model file is weight payload, where a flipped
// bit only changes a number; so positions are drawn mostly from the structural bytes (tags, lengths,
// names, dims, attributes) that lie outside tensor payloads.
import { onnx } from '../../src/frontend/onnx/proto.ts';
import type { GraphProto, TensorProto } from '../../src/frontend/onnx/proto.ts';
import { rng } from '../../src/runtime/random.ts';
import { mutateFields } from './fields.ts';

export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Byte ranges [start, end) outside tensor payloads. */
  readonly structure: readonly (readonly [number, number])[];
}

/** Copies into a plain Uint8Array: for a Buffer (what fs and protobufjs return) slice() is a view,
 *  and a mutation must never write into a seed. */
export function makeSeed(name: string, bytes: Uint8Array): Seed {
  const own = new Uint8Array(bytes);
  return { name, bytes: own, structure: structuralRanges(own) };
}

/** The complement of the raw-data payloads (protobufjs decodes `bytes` fields as views into the input). */
function structuralRanges(bytes: Uint8Array): [number, number][] {
  const payloads: [number, number][] = [];
  const tensor = (t: TensorProto | null | undefined) => {
    const r = t?.rawData;
    if (r && r.length > 0 && r.buffer === bytes.buffer) payloads.push([r.byteOffset - bytes.byteOffset, r.byteOffset - bytes.byteOffset + r.length]);
  };
  const graph = (g: GraphProto | null | undefined) => {
    for (const t of g?.initializer ?? []) tensor(t);
    for (const n of g?.node ?? []) for (const a of n.attribute ?? []) { tensor(a.t); graph(a.g); }
  };
  graph(onnx.ModelProto.decode(bytes).graph);
  payloads.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  let at = 0;
  for (const [s, e] of payloads) { if (s > at) out.push([at, s]); at = Math.max(at, e); }
  if (at < bytes.length) out.push([at, bytes.length]);
  return out;
}

export interface Variant { readonly bytes: Uint8Array; readonly how: string }

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo)); // [lo, hi)
const SPECIAL = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x08, 0x12, 0x1a];

/** A position: 3 in 4 in the structural bytes, else anywhere. */
function position(r: Rand, s: Seed): number {
  if (r() < 0.25 || s.structure.length === 0) return int(r, 0, s.bytes.length);
  const total = s.structure.reduce((a, [x, y]) => a + y - x, 0);
  let k = int(r, 0, total);
  for (const [x, y] of s.structure) { if (k < y - x) return x + k; k -= y - x; }
  return 0;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * Mutation kinds, repeated by weight: in-place bit flips and overwrites (0, 1) and field-level changes (7)
 * keep the protobuf framing intact and so reach the importer and shape rules; truncation, splicing,
 * insertion, deletion and copying (2–6) mostly exercise the decoder.
 */
const KINDS = [0, 0, 0, 1, 1, 7, 7, 7, 2, 3, 4, 5, 6];

/** One mutation of `s` (`other` is the splice partner). */
function mutateOnce(r: Rand, s: Seed, other: Seed): Variant {
  const b = s.bytes;
  const pos = position(r, s);
  const kind = KINDS[int(r, 0, KINDS.length)];
  if (kind === 7) return mutateFields(r, b) ?? { bytes: b.slice(0, pos), how: `truncate at ${pos}` };
  switch (kind) {
    case 0: {
      const out = b.slice();
      const k = int(r, 1, 9);
      for (let i = 0; i < k; i++) { const p = i === 0 ? pos : position(r, s); out[p] ^= 1 << int(r, 0, 8); }
      return { bytes: out, how: `flip ${k} bits from ${pos}` };
    }
    case 1: {
      const out = b.slice();
      const len = int(r, 1, 9);
      for (let i = pos; i < Math.min(b.length, pos + len); i++) out[i] = r() < 0.5 ? SPECIAL[int(r, 0, SPECIAL.length)] : int(r, 0, 256);
      return { bytes: out, how: `overwrite ${len} bytes at ${pos}` };
    }
    case 2: return { bytes: b.slice(0, pos), how: `truncate at ${pos}` };
    case 3: {
      const q = position(r, other);
      return { bytes: concat(b.subarray(0, pos), other.bytes.subarray(q)), how: `splice ${s.name}[0:${pos}] + ${other.name}[${q}:]` };
    }
    case 4: {
      const ins = Uint8Array.from({ length: int(r, 1, 17) }, () => int(r, 0, 256));
      return { bytes: concat(b.subarray(0, pos), ins, b.subarray(pos)), how: `insert ${ins.length} bytes at ${pos}` };
    }
    case 5: {
      const len = int(r, 1, 17);
      return { bytes: concat(b.subarray(0, pos), b.subarray(Math.min(b.length, pos + len))), how: `delete ${len} bytes at ${pos}` };
    }
    default: {
      const from = position(r, s), len = int(r, 1, 65);
      return { bytes: concat(b.subarray(0, pos), b.subarray(from, from + len), b.subarray(pos)), how: `copy ${len} bytes from ${from} to ${pos}` };
    }
  }
}

/** Variant `id`: 1–3 stacked mutations of a seed, chosen deterministically from the id. */
export function variant(seeds: readonly Seed[], id: number): Variant & { seed: string } {
  const r = rng(0x5eed + id * 7919);
  const s = seeds[id % seeds.length];
  let cur: Seed = s;
  const hows: string[] = [];
  const count = r() < 0.85 ? 1 : int(r, 2, 4);
  for (let i = 0; i < count; i++) {
    const v = mutateOnce(r, cur, seeds[int(r, 0, seeds.length)]);
    hows.push(v.how);
    cur = { name: s.name, bytes: v.bytes, structure: i + 1 < count ? safeStructure(v.bytes) : [] };
  }
  return { bytes: cur.bytes, how: hows.join('; '), seed: s.name };
}

/** Structure of an already-mutated file, which may no longer decode: then any position goes. */
function safeStructure(bytes: Uint8Array): [number, number][] {
  try { return structuralRanges(bytes); } catch { return []; }
}
