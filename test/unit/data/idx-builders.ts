/** Small hand-made IDX buffers for the bad-input tests. */
export function idxImages(count: number, opts: { rows?: number; cols?: number; pixels?: number; magic?: number } = {}) {
  const rows = opts.rows ?? 28;
  const cols = opts.cols ?? 28;
  const pixels = opts.pixels ?? count * rows * cols;
  const buf = Buffer.alloc(16 + pixels);
  buf.writeUInt32BE(opts.magic ?? 0x00000803, 0);
  buf.writeUInt32BE(count, 4);
  buf.writeUInt32BE(rows, 8);
  buf.writeUInt32BE(cols, 12);
  for (let i = 0; i < pixels; i++) buf[16 + i] = i % 256;
  return buf;
}

export function idxLabels(labels: number[], opts: { count?: number; magic?: number } = {}) {
  const buf = Buffer.alloc(8 + labels.length);
  buf.writeUInt32BE(opts.magic ?? 0x00000801, 0);
  buf.writeUInt32BE(opts.count ?? labels.length, 4);
  labels.forEach((l, i) => (buf[8 + i] = l));
  return buf;
}
