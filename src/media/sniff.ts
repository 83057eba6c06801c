/**
 * What a file really is, read from its first bytes: the content type a sender declares is often
 * wrong (a phone's "image/jpeg" HEIC, a server's "application/octet-stream").
 */
export type MediaKind = "jpeg" | "png" | "webp" | "gif" | "heic" | "avif" | "mp4" | "webm" | "pdf" | "unknown";

const ascii = (bytes: Buffer, start: number, end: number) => bytes.subarray(start, end).toString("latin1");

export function sniffMedia(bytes: Buffer): MediaKind {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return "png";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp";
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a")) return "gif";
  if (bytes.length >= 5 && ascii(bytes, 0, 5) === "%PDF-") return "pdf";
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x1a45dfa3) return "webm";
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === "ftyp") {
    const brand = ascii(bytes, 8, 12);
    if (["heic", "heix", "hevc", "heim", "heis", "mif1", "msf1"].includes(brand)) return "heic";
    if (brand === "avif" || brand === "avis") return "avif";
    return "mp4"; // isom, mp41, mp42, qt (MOV), 3gp4, M4V …: ffmpeg reads them all
  }
  return "unknown";
}

/** How a person calls a declared content type in a refusal ("a PDF", "a text file"). */
export function describeContentType(contentType: string): string {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (type === "application/pdf") return "a PDF";
  if (type.startsWith("text/")) return "a text file";
  if (type.startsWith("audio/")) return "a sound file";
  if (type === "image/heic" || type === "image/heif") return "an iPhone HEIC photo";
  if (type.startsWith("image/")) return `a picture (${type})`;
  if (type.startsWith("video/")) return `a video (${type})`;
  if (type === "" || type === "application/octet-stream") return "a file of unknown type";
  return `a ${type} file`;
}
