/** float32 <-> IEEE 754 half precision (Node 20 has no Float16Array), round to nearest even. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function toHalfBits(value: number): number {
  f32[0] = value;
  return halfOfFloatBits(u32[0]);
}

/** Half bits of a float32 given as its bit pattern (round to nearest even). */
function halfOfFloatBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> signed zero
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // may carry into the exponent: still right
  return sign | h;
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export function encodeHalf(values: ArrayLike<number>): Buffer {
  const bits = new Uint16Array(values.length);
  if (values instanceof Float32Array) {
    // The floats' bit patterns directly, without a round trip per value.
    const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < u.length; i++) bits[i] = halfOfFloatBits(u[i]);
  } else {
    for (let i = 0; i < values.length; i++) bits[i] = toHalfBits(values[i]);
  }
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) for (let i = 0; i < bits.length; i++) bits[i] = ((bits[i] & 0xff) << 8) | (bits[i] >> 8);
  return Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength);
}

let table: Float32Array | null = null;

/** All 65536 half values as float32 (256 KiB, made on first use): decoding is one lookup. */
function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromHalfBits(h);
  }
  return table;
}

export function decodeHalf(bytes: Uint8Array, out = new Float32Array(bytes.length >> 1)): Float32Array {
  const t = halfTable();
  const n = out.length;
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = t[bits[i]];
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = t[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
