// Files in the composer, before and after they are sent. The core is the
// authority on what may be attached (type by magic bytes, sizes, the
// model's vision, the token budget) and refuses with a typed error before
// anything is paid; the checks here only spare a round trip for a file
// that is obviously too large, and shape the upload.
import type { AttachmentInfo, AttachmentUpload } from "../bindings";

/** Mirrors the core's `MAX_ATTACHMENTS`. */
export const MAX_FILES = 8;
/** Mirrors the core's `MAX_IMAGE_ATTACHMENT_BYTES` (the larger of its caps). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** A file waiting in the composer. */
export type PendingFile = {
  /** Stable within the composer, for keyed lists and removal. */
  key: number;
  file: File;
  /** An image's `blob:` preview URL (revoke with `release`); null for text. */
  preview: string | null;
};

/** Whether the browser calls `file` an image (only for the preview: the core sniffs the bytes). */
export function looksLikeImage(file: { type: string }): boolean {
  return /^image\/(png|jpeg|gif|webp)$/.test(file.type);
}

/** "12 B", "3.4 KB", "1.2 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Adds `files` to `pending`, refusing what cannot be sent anyway; returns
 * the new list and a reason per refused file.
 */
export function addFiles(
  pending: readonly PendingFile[],
  files: readonly File[],
  nextKey: () => number,
  preview: (file: File) => string | null = (f) => (looksLikeImage(f) ? URL.createObjectURL(f) : null),
): { pending: PendingFile[]; refused: string[] } {
  const next = [...pending];
  const refused: string[] = [];
  for (const file of files) {
    if (next.length >= MAX_FILES) {
      refused.push(`${file.name}: at most ${MAX_FILES} files per message`);
    } else if (file.size > MAX_FILE_BYTES) {
      refused.push(`${file.name} is ${formatBytes(file.size)}; files up to ${formatBytes(MAX_FILE_BYTES)} can be attached`);
    } else {
      next.push({ key: nextKey(), file, preview: preview(file) });
    }
  }
  return { pending: next, refused };
}

/** Standard base64 of `bytes` (chunked: large files overflow `fromCharCode`'s argument list). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** The uploads for a send, in the order they were attached. */
export async function toUploads(pending: readonly PendingFile[]): Promise<AttachmentUpload[]> {
  return Promise.all(
    pending.map(async ({ file }) => ({ name: file.name, dataBase64: toBase64(new Uint8Array(await file.arrayBuffer())) })),
  );
}

/** The files of a drop or paste (clipboard text alone gives none). */
export function filesOf(data: DataTransfer | null): File[] {
  if (!data) return [];
  return Array.from(data.files ?? []);
}

/** A message's attachments, from a page's list, in order. */
export function attachmentsOf(all: readonly AttachmentInfo[], messageId: number): AttachmentInfo[] {
  return all.filter((a) => a.messageId === messageId);
}
