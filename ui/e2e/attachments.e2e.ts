// Browser tests of attachments: the built UI in Chromium against the fake
// core (e2e/fake/backend.ts, which checks uploads as the core does: a PNG by
// its magic bytes, else UTF-8 text; an image refused for a model that
// cannot see, before anything is charged). A text file and an image are
// attached by the paperclip, go with the send, and show as a chip and a
// thumbnail; an image dropped for a model that cannot see is refused with
// the core's message and given back with the draft.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { screenshotDir } from "./harness.mjs";
import { browserSuite } from "./suite";

/** The smallest valid PNG (1×1), base64. */
const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==";

const suite = browserSuite();

async function replyDone(page: Page) {
  await page.getByTestId("typing-indicator").waitFor();
  await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
}

const balance = (page: Page) => page.evaluate(() => (window as any).__fake.state.remaining as number);

describe("attachments", () => {
  it("attaches a file and an image with the paperclip and shows them with the message", async () => {
    const { page, context } = await suite.open({ hash: "#/chat", seed: { vision: true } });
    await page.getByTestId("attach-input").setInputFiles([
      { name: "notes.md", mimeType: "text/markdown", buffer: Buffer.from("# Notes\nbuy milk\n") },
      { name: "pixel.png", mimeType: "image/png", buffer: Buffer.from(PNG_BASE64, "base64") },
    ]);
    await expect.poll(() => page.getByTestId("pending-file").allInnerTexts()).toEqual([
      expect.stringContaining("notes.md"),
      expect.stringContaining("pixel.png"),
    ]);
    // The image's preview is a local blob: URL (the CSP allows it, nothing remote).
    expect(await page.getByTestId("pending-file").nth(1).locator("img").getAttribute("src")).toMatch(/^blob:/);
    await page.screenshot({ path: join(screenshotDir, "attachments-pending-1280.png") });

    await page.getByTestId("composer-input").fill("What is on this list?");
    await page.getByTestId("send").click();
    await replyDone(page);
    expect(await page.getByTestId("pending-file").count()).toBe(0);

    // What went to the core: both files, base64, in order.
    const sent = await page.evaluate(() => (window as any).__fake.calls("send_message")[0].args.request.attachments);
    expect(sent.map((a: { name: string }) => a.name)).toEqual(["notes.md", "pixel.png"]);
    expect(sent[1].dataBase64).toBe(PNG_BASE64);
    expect(await balance(page)).toBe(97);

    // Shown with the message: a chip for the text, a thumbnail for the image.
    const chip = page.getByTestId("attachment-chip");
    await chip.waitFor();
    expect(await chip.innerText()).toContain("notes.md");
    const thumb = page.getByTestId("attachment-image").locator("img");
    await expect.poll(() => thumb.getAttribute("src")).toBe(`data:image/png;base64,${PNG_BASE64}`);
    // The image really decoded under the CSP.
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    await page.screenshot({ path: join(screenshotDir, "attachments-sent-1280.png") });
    await context.close();
  });

  it("refuses a dropped image for a model that cannot see, charging nothing and keeping the draft", async () => {
    // At phone width: the composer's paperclip, chips and drop all work narrow.
    const { page, context } = await suite.open({ hash: "#/chat", viewport: { width: 390, height: 800 } });
    await page.getByTestId("composer-input").waitFor();
    // Drop an image on the composer, paste a text file into the input.
    await page.evaluate((png) => {
      const drop = new DataTransfer();
      drop.items.add(new File([Uint8Array.from(atob(png), (c) => c.charCodeAt(0))], "shot.png", { type: "image/png" }));
      document.querySelector('[data-testid="composer"]')!.dispatchEvent(new DragEvent("drop", { dataTransfer: drop, bubbles: true, cancelable: true }));
      const paste = new DataTransfer();
      paste.items.add(new File(["fn main() {}\n"], "main.rs", { type: "text/x-rust" }));
      document.querySelector('[data-testid="composer-input"]')!.dispatchEvent(new ClipboardEvent("paste", { clipboardData: paste, bubbles: true, cancelable: true }));
    }, PNG_BASE64);
    await expect.poll(() => page.getByTestId("pending-file").count()).toBe(2);

    await page.getByTestId("composer-input").fill("What is this?");
    await page.getByTestId("send").click();
    await expect.poll(() => page.getByTestId("toast").allTextContents()).toEqual([expect.stringContaining("cannot see images")]);
    expect(await balance(page)).toBe(100);
    expect(await page.getByTestId("message").count()).toBe(0);
    // Nothing was saved: the draft and its files come back.
    expect(await page.getByTestId("composer-input").inputValue()).toBe("What is this?");
    expect(await page.getByTestId("pending-file").count()).toBe(2);

    // Removing the image lets the text file go.
    await page.getByRole("button", { name: "Remove shot.png" }).click();
    await page.getByTestId("send").click();
    await replyDone(page);
    expect(await page.getByTestId("attachment-chip").innerText()).toContain("main.rs");
    expect(await balance(page)).toBe(97);
    await page.screenshot({ path: join(screenshotDir, "attachments-refused-then-sent-390.png") });
    await context.close();
  });

  it("turns on the model's vision in Settings and saves it with the model", async () => {
    const { page, context, errors } = await suite.open({ hash: "#/settings" });
    await page.getByRole("button", { name: "Edit o3-mini" }).click();
    const vision = page.getByTestId("model-vision");
    await vision.waitFor();
    expect(await vision.isChecked()).toBe(false);
    await vision.check();
    await page.getByTestId("model-dialog").getByRole("button", { name: "Save", exact: true }).click();
    await expect
      .poll(() =>
        page.evaluate(() => (window as any).__fake.calls("save_model").map((c: any) => [c.args.input.previousName, c.args.input.config.vision])),
      )
      .toEqual([["o3-mini", true]]);
    // The picker's list says so too: images may go to it now.
    expect(await page.evaluate(() => (window as any).__fake.state.models[0].config.vision)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});
