import { describe, expect, it } from "vitest";
import type { AttachmentInfo } from "../bindings";
import { addFiles, attachmentsOf, filesOf, formatBytes, looksLikeImage, MAX_FILE_BYTES, MAX_FILES, toBase64, toUploads } from "./attachments";

const file = (name: string, size: number, type = "text/plain") => new File([new Uint8Array(size)], name, { type });

describe("attachments", () => {
  it("formats sizes", () => {
    expect(formatBytes(12)).toBe("12 B");
    expect(formatBytes(3482)).toBe("3.4 KB");
    expect(formatBytes(1258291)).toBe("1.2 MB");
  });

  it("previews only the image types the core accepts", () => {
    expect(looksLikeImage({ type: "image/png" })).toBe(true);
    expect(looksLikeImage({ type: "image/webp" })).toBe(true);
    expect(looksLikeImage({ type: "image/svg+xml" })).toBe(false);
    expect(looksLikeImage({ type: "text/plain" })).toBe(false);
  });

  it("adds files up to the count and size caps, saying why others are refused", () => {
    let key = 0;
    const next = () => ++key;
    const none = () => null;
    const { pending, refused } = addFiles([], [file("a.rs", 10), file("huge.bin", MAX_FILE_BYTES + 1)], next, none);
    expect(pending.map((p) => [p.key, p.file.name])).toEqual([[1, "a.rs"]]);
    expect(refused).toEqual(["huge.bin is 4.0 MB; files up to 4.0 MB can be attached"]);
    const many = Array.from({ length: MAX_FILES + 1 }, (_, i) => file(`f${i}.txt`, 1));
    const full = addFiles(pending, many, next, none);
    expect(full.pending).toHaveLength(MAX_FILES);
    expect(full.refused).toEqual([`f${MAX_FILES - 1}.txt: at most ${MAX_FILES} files per message`, `f${MAX_FILES}.txt: at most ${MAX_FILES} files per message`]);
  });

  it("makes a preview for images only", () => {
    const seen: string[] = [];
    const preview = (f: File) => (looksLikeImage(f) ? (seen.push(f.name), `blob:${f.name}`) : null);
    const { pending } = addFiles([], [file("p.png", 4, "image/png"), file("n.md", 4)], () => 1, preview);
    expect(pending.map((p) => p.preview)).toEqual(["blob:p.png", null]);
    expect(seen).toEqual(["p.png"]);
  });

  it("encodes bytes as standard base64, also past one chunk", async () => {
    expect(toBase64(new TextEncoder().encode("# hi"))).toBe("IyBoaQ==");
    const big = new Uint8Array(0x8000 * 2 + 3).fill(0xff);
    expect(atob(toBase64(big)).length).toBe(big.length);
    const uploads = await toUploads([{ key: 1, file: new File(["# hi"], "note.md"), preview: null }]);
    expect(uploads).toEqual([{ name: "note.md", dataBase64: "IyBoaQ==" }]);
  });

  it("takes files from a drop or paste, none from text alone", () => {
    expect(filesOf(null)).toEqual([]);
    const f = file("a.txt", 1);
    expect(filesOf({ files: [f] } as unknown as DataTransfer)).toEqual([f]);
  });

  it("picks a message's attachments from a page", () => {
    const info = (id: number, messageId: number): AttachmentInfo => ({ id, messageId, name: `f${id}`, kind: "text", mime: "text/plain", sizeBytes: 1, tokens: 1 });
    expect(attachmentsOf([info(1, 5), info(2, 6), info(3, 5)], 5).map((a) => a.id)).toEqual([1, 3]);
  });
});
