/**
 * Bulk loading of vectors into PGlite for the benches: pgvector's text input parses about 1 ms
 * per 768-d literal in WASM, its binary input is a copy, so vectors go in by binary COPY.
 */

/** A binary COPY stream of rows (i int, e vector): pgvector's binary form is dim, 0, float4s. */
export function binaryCopy(firstIndex: number, vectors: Float32Array[]): Uint8Array {
  const dims = vectors[0].length
  const tupleBytes = 2 + (4 + 4) + (4 + 4 + dims * 4)
  const bytes = new Uint8Array(19 + vectors.length * tupleBytes + 2)
  const view = new DataView(bytes.buffer)
  bytes.set([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]) // PGCOPY\n\377\r\n\0
  let o = 19 // signature (11) + flags (4) + header extension length (4), all zero
  vectors.forEach((v, k) => {
    view.setInt16(o, 2)
    view.setInt32(o + 2, 4)
    view.setInt32(o + 6, firstIndex + k)
    view.setInt32(o + 10, 4 + dims * 4)
    view.setInt16(o + 14, dims)
    view.setInt16(o + 16, 0)
    o += 18
    for (let d = 0; d < dims; d++, o += 4) view.setFloat32(o, v[d])
  })
  view.setInt16(o, -1) // trailer
  return bytes
}
