// A kernel's streams (one per pseudo-channel) in one file: "PIMK", a u32 count, then each stream as a
// u32 byte length and its bytes. The text form is the streams' text one after another.
import { decodeStream, encodeStream, parseStream, printStream, type Stream } from './commands.ts';
import { PimError } from './errors.ts';

const MAGIC = 0x4b4d4950; // "PIMK"

export function encodeKernel(streams: readonly Stream[]): Uint8Array {
  const parts = streams.map(encodeStream);
  const out = new Uint8Array(8 + parts.reduce((n, p) => n + 4 + p.length, 0));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, parts.length, true);
  let o = 8;
  for (const p of parts) { dv.setUint32(o, p.length, true); out.set(p, o + 4); o += 4 + p.length; }
  return out;
}

export function decodeKernel(bytes: Uint8Array): Stream[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || dv.getUint32(0, true) !== MAGIC) throw new PimError('PIM_MAGIC', 'not a PIM kernel file (bad magic)');
  const n = dv.getUint32(4, true);
  const out: Stream[] = [];
  let o = 8;
  for (let i = 0; i < n; i++) {
    if (o + 4 > bytes.length) throw new PimError('PIM_TRUNCATED', `kernel file ends before stream ${i} of ${n}`);
    const len = dv.getUint32(o, true);
    if (o + 4 + len > bytes.length) throw new PimError('PIM_TRUNCATED', `stream ${i} claims ${len} bytes, ${bytes.length - o - 4} remain`);
    out.push(decodeStream(bytes.subarray(o + 4, o + 4 + len)));
    o += 4 + len;
  }
  if (o !== bytes.length) throw new PimError('PIM_TRUNCATED', `${bytes.length - o} bytes after the last stream`);
  return out;
}

export function printKernel(streams: readonly Stream[]): string {
  return streams.map(printStream).join('');
}

export function parseKernel(text: string): Stream[] {
  const chunks = text.split(/^(?=\.stream )/m).filter((c) => c.trim() !== '');
  return chunks.map(parseStream);
}
