import { imageSize } from 'image-size';

/** The image-size library's name for each type a cover may be. */
const libraryType: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/**
 * The width and height an image's header declares, read without decoding it (the image-size
 * library): a browser allocates width × height × 4 bytes to draw it, whatever the file's own size.
 * Null when the header does not say, or says another type than the one claimed.
 */
export function declaredImageSize(contentType: string, b: Buffer): { width: number; height: number } | null {
  try {
    const { width, height, type } = imageSize(b);
    return type === libraryType[contentType] ? { width, height } : null;
  } catch {
    return null;
  }
}
