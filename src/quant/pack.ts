// Bit packing of narrow codes into bytes. 4-bit: two per byte, element 2i in the low nibble, as
// ONNX stores int4/uint4 (and as MXFP4 elements are packed). Other widths: a little-endian bit
// stream, element i in bits [w·i, w·i + w) — 6-bit MX elements take 3 bytes per 4 elements.

/** Packs the low `bits` bits of each code (two's complement for negative codes). */
export function packBits(codes: ArrayLike<number>, bits: number): Uint8Array {
  if (bits === 8) return Uint8Array.from(codes, (c) => c & 0xff);
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  const mask = (1 << bits) - 1;
  for (let i = 0; i < codes.length; i++) {
    const v = codes[i] & mask, bit = i * bits, byte = bit >> 3, off = bit & 7;
    out[byte] |= (v << off) & 0xff;
    if (off + bits > 8) out[byte + 1] |= v >> (8 - off);
  }
  return out;
}

/** Unpacks n codes of `bits` bits; `signed` sign-extends (int4). */
export function unpackBits(bytes: Uint8Array, n: number, bits: number, signed = false): Int32Array {
  const out = new Int32Array(n);
  const mask = (1 << bits) - 1, signBit = 1 << (bits - 1);
  for (let i = 0; i < n; i++) {
    const bit = i * bits, byte = bit >> 3, off = bit & 7;
    let v = bytes[byte] >> off;
    if (off + bits > 8) v |= bytes[byte + 1] << (8 - off);
    v &= mask;
    out[i] = signed && v & signBit ? v - (1 << bits) : v;
  }
  return out;
}
