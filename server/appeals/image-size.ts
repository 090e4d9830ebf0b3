/**
 * The width and height an image's header declares, read without decoding it: a browser allocates
 * width × height × 4 bytes to draw it, whatever the file's own size. Null when the header does
 * not say (a browser cannot draw such a file either). Only the three types a cover may be.
 */
export function declaredImageSize(contentType: string, b: Buffer): { width: number; height: number } | null {
  if (contentType === 'image/png') return pngSize(b);
  if (contentType === 'image/jpeg') return jpegSize(b);
  if (contentType === 'image/webp') return webpSize(b);
  return null;
}

// The first chunk of a PNG is its IHDR: width and height, 4 bytes each, big-endian.
function pngSize(b: Buffer) {
  if (b.length < 24 || b.subarray(12, 16).toString('latin1') !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** A JPEG's frame header (SOF0–SOF15, not DHT C4, JPG C8, DAC CC) after whatever segments precede it. */
function jpegSize(b: Buffer) {
  let at = 2;
  // Each step moves past one segment of at least 2 bytes: the loop ends within the buffer.
  while (at + 9 <= b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1]!;
    // Fill bytes (FF FF…) before a marker.
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: b.readUInt16BE(at + 7), height: b.readUInt16BE(at + 5) };
    }
    // Image data begins (SOS) or ends (EOI) with no frame header seen.
    if (marker === 0xda || marker === 0xd9) return null;
    // Standalone markers (TEM, RST0–7) have no length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    at += 2 + b.readUInt16BE(at + 2);
  }
  return null;
}

/** A WebP's first chunk: lossy (VP8), lossless (VP8L) or extended (VP8X, its canvas). */
function webpSize(b: Buffer) {
  if (b.length < 30) return null;
  const chunk = b.subarray(12, 16).toString('latin1');
  if (chunk === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  return null;
}
