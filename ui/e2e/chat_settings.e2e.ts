// Browser tests of a chat's own settings and personas: the built UI in
// Chromium against the fake core (e2e/fake/backend.ts). A persona saved in
// Settings starts a chat from the chat header with its prompt and effort;
// the header shows what the chat uses, the next send goes into that chat,
// and changing the settings is saved on the session.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { screenshotDir } from "./harness.mjs";
import { browserSuite } from "./suite";

const suite = browserSuite();

const calls = (page: Page, cmd: string) =>
  page.evaluate((c) => (window as any).__fake.calls(c).map((call: { args: unknown }) => call.args), cmd);

describe("chat settings and personas", () => {
  it("saves a persona in Settings and deletes it", async () => {
    const { page, context, errors } = await suite.open({ hash: "#/settings" });
    const section = page.getByTestId("personas");
    await section.waitFor();
    await page.getByTestId("persona-name").fill("Pirate");
    await page.getByTestId("persona-prompt").fill("You are a pirate.");
    await page.getByTestId("persona-effort").selectOption("high");
    await page.getByTestId("save-persona").click();
    await expect.poll(() => section.getByTestId("persona").allInnerTexts()).toEqual([expect.stringContaining("Pirate")]);
    expect(await section.getByTestId("persona").innerText()).toContain("Effort: High");
    expect(await calls(page, "save_persona")).toEqual([{ persona: { name: "Pirate", prompt: "You are a pirate.", reasoningEffort: "high" } }]);
    await section.screenshot({ path: join(screenshotDir, "personas-settings-1280.png") });

    await page.getByRole("button", { name: "Delete persona Pirate" }).click();
    await expect.poll(() => section.getByTestId("persona").count()).toBe(0);
    expect(await calls(page, "delete_persona")).toEqual([{ name: "Pirate" }]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("starts a chat from a persona, sends in it, and changes its settings", async () => {
    const seed = { personas: [{ name: "Pirate", prompt: "You are a pirate.", reasoningEffort: "high" }] };
    const { page, context, errors } = await suite.open({ hash: "#/chat", seed });
    const button = page.getByTestId("chat-settings");
    await button.click();
    const dialog = page.getByTestId("chat-settings-dialog");
    await dialog.getByTestId("persona-pick").selectOption("Pirate");
    expect(await dialog.getByTestId("system-prompt").inputValue()).toBe("You are a pirate.");
    expect(await dialog.getByTestId("effort-pick").inputValue()).toBe("high");
    await page.screenshot({ path: join(screenshotDir, "chat-settings-persona-1280.png") });
    await dialog.getByTestId("save-chat-settings").click();

    // The chat is started with them and opened.
    await expect.poll(() => page.evaluate(() => location.hash)).toBe("#/chat/1");
    await expect.poll(() => button.innerText()).toBe("Own prompt · Effort: High");
    expect(await calls(page, "set_session_settings")).toEqual([
      { sessionId: null, settings: { systemPrompt: "You are a pirate.", reasoningEffort: "high", model: null } },
    ]);

    // The next send goes into that chat.
    await page.getByTestId("composer-input").fill("Ahoy?");
    await page.getByTestId("send").click();
    await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
    expect((await calls(page, "send_message"))[0].request.sessionId).toBe(1);
    // The reply says which model and effort wrote it.
    expect(await page.getByTestId("message-model").allInnerTexts()).toEqual(["o3-mini · High effort"]);

    // Back to Banter's prompt with a low effort.
    await button.click();
    expect(await dialog.getByTestId("system-prompt").inputValue()).toBe("You are a pirate.");
    await dialog.getByTestId("system-prompt").fill("   ");
    await dialog.getByTestId("effort-pick").selectOption("low");
    await dialog.getByTestId("save-chat-settings").click();
    await expect.poll(() => button.innerText()).toBe("Effort: Low");
    expect((await calls(page, "set_session_settings"))[1]).toEqual({ sessionId: 1, settings: { systemPrompt: null, reasoningEffort: "low", model: null } });

    // Changed on another device since the list was read: the dialog shows
    // the chat as it is now, and saving keeps what it did not change.
    await page.evaluate(() => {
      const session = (window as any).__fake.state.sessions.find((x: { id: number }) => x.id === 1);
      session.systemPrompt = "Answer in French.";
    });
    await button.click();
    await expect.poll(() => dialog.getByTestId("system-prompt").inputValue()).toBe("Answer in French.");
    await dialog.getByTestId("effort-pick").selectOption("medium");
    await dialog.getByTestId("save-chat-settings").click();
    expect((await calls(page, "set_session_settings"))[2]).toEqual({ sessionId: 1, settings: { systemPrompt: "Answer in French.", reasoningEffort: "medium", model: null } });

    // At 390 px the button keeps only its icon.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByTestId("drawer-toggle").waitFor();
    await expect
      .poll(async () => {
        const box = await button.boundingBox();
        return box !== null && box.x >= 0 && box.x + box.width <= 390;
      })
      .toBe(true);
    await page.screenshot({ path: join(screenshotDir, "chat-settings-390.png") });
    expect(errors).toEqual([]);
    await context.close();
  });
});
