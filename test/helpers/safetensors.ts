// A small, independent safetensors reader/writer for tests (the runner's own reader is what is under test), plus
// exact fp16/bf16 expansions written from the IEEE formats, not from the runner's code.
import fs from "node:fs";

export type Dtype = "F32" | "F16" | "BF16" | "F64" | "I8";
export interface StTensor {
  dtype: Dtype;
  shape: number[];
  data: Buffer;
}

export function readSafetensors(path: string): Map<string, StTensor> {
  const buf = fs.readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as Record<string, { dtype: Dtype; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, StTensor>();
  for (const [name, e] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    out.set(name, { dtype: e.dtype, shape: e.shape, data: Buffer.from(buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1])) });
  }
  return out;
}

/** Writes tensors in the given order; `headerPatch` may rewrite header entries (to make broken files). */
export function writeSafetensors(path: string, tensors: Map<string, StTensor>, headerPatch?: (h: Record<string, unknown>) => void): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let off = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.length] };
    off += t.data.length;
  }
  headerPatch?.(header);
  let h = JSON.stringify(header);
  while (h.length % 8 !== 0) h += " ";
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(h)));
  fs.writeFileSync(path, Buffer.concat([len, Buffer.from(h, "utf8"), ...[...tensors.values()].map((t) => t.data)]));
}

export function f32Values(t: StTensor): Float32Array {
  if (t.dtype !== "F32") throw new Error(`expected F32, got ${t.dtype}`);
  return new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.length));
}

/** bf16 bits of an fp32 value, round to nearest even (finite inputs). */
export function toBf16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0]!;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The exact fp32 value of a bf16 bit pattern: the pattern is the top half of the fp32 pattern. */
export function bf16BitsToF32(b: number): number {
  return new Float32Array(new Uint32Array([b << 16]).buffer)[0]!;
}

/** The exact value of an IEEE binary16 bit pattern, from its definition. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export function u16Buffer(bits: number[]): Buffer {
  const b = Buffer.alloc(bits.length * 2);
  bits.forEach((v, i) => b.writeUInt16LE(v, i * 2));
  return b;
}
