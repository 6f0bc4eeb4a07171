// Browser tests of message branches: the built UI in Chromium against the
// fake core (e2e/fake/backend.ts, which keeps messages as a tree as the core
// does). Up in an empty composer edits the last message sent; sending the
// edit makes a second version, shown as "‹ 2/2 ›"; the arrows switch back
// and forth; regenerating keeps the old reply as another version.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { screenshotDir } from "./harness.mjs";
import { browserSuite } from "./suite";

const HISTORY = {
  sessions: [
    {
      title: "Colours",
      messages: [
        { role: "user" as const, content: "Pick a colour" },
        { role: "assistant" as const, content: "Blue." },
      ],
    },
  ],
};

const suite = browserSuite();

async function replyDone(page: Page) {
  await page.getByTestId("typing-indicator").waitFor();
  await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
}

const texts = (page: Page) => page.getByTestId("message").locator(".bubble").allInnerTexts();
const labels = (page: Page) => page.getByTestId("version-label").allInnerTexts();

describe("branches", () => {
  it("edits the last message with Up, and switches between its versions", async () => {
    const { page, context } = await suite.open({ hash: "#/chat/1", seed: HISTORY });
    await page.locator('[data-message-id="2"]').waitFor();
    expect(await labels(page)).toEqual([]);

    // Up in the empty box opens the editor on "Pick a colour".
    await page.getByTestId("composer-input").focus();
    await page.getByTestId("composer-input").press("ArrowUp");
    const editor = page.getByTestId("edit-input");
    await editor.waitFor();
    expect(await editor.inputValue()).toBe("Pick a colour");
    await editor.fill("Pick a warm colour");
    await page.getByTestId("edit-send").click();
    await replyDone(page);
    await expect.poll(() => labels(page)).toEqual(["2/2"]);
    expect((await texts(page))[0]).toBe("Pick a warm colour");
    await page.screenshot({ path: join(screenshotDir, "branches-edited-1280.png") });

    // Back to the first version: its reply comes with it.
    await page.getByTestId("version-previous").click();
    await expect.poll(() => labels(page)).toEqual(["1/2"]);
    await expect.poll(async () => (await texts(page)).map((t) => t.trim())).toEqual(["Pick a colour", "Blue."]);
    await page.getByTestId("version-next").click();
    await expect.poll(() => labels(page)).toEqual(["2/2"]);
    expect((await texts(page))[0]).toBe("Pick a warm colour");
    await context.close();
  });

  it("keeps the old reply as another version when regenerating, and Esc closes the editor", async () => {
    const { page, context } = await suite.open({ hash: "#/chat/1", seed: HISTORY });
    await page.locator('[data-message-id="2"]').waitFor();
    await page.getByTestId("regenerate").click();
    await replyDone(page);
    await expect.poll(() => labels(page)).toEqual(["2/2"]);
    await page.getByTestId("version-previous").click();
    await expect.poll(async () => (await texts(page)).map((t) => t.trim())).toEqual(["Pick a colour", "Blue."]);

    await page.locator('[data-message-id="1"]').hover();
    await page.getByTestId("edit-message").click();
    await page.getByTestId("edit-input").press("Escape");
    await expect.poll(() => page.getByTestId("edit-input").count()).toBe(0);
    await context.close();
  });
});
