// Browser tests of named chat models: the built UI in Chromium against the
// fake core (e2e/fake/backend.ts, which keeps models by name as the core
// does: a default, keys per endpoint, a chat's own model, a removed model's
// chats sent to the default, an unknown name refused with model_not_found).
// Settings › AI models adds, edits, tests and removes models; the composer's
// picker chooses a chat's model, which answers its sends and survives a
// reload, a switch of chats and a change of the chat's settings.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { openWindow, screenshotDir } from "./harness.mjs";
import { browserSuite } from "./suite";

const suite = browserSuite();

const calls = (page: Page, cmd: string) =>
  page.evaluate((c) => (window as any).__fake.calls(c).map((call: { args: unknown }) => call.args), cmd);
const fakeSession = (page: Page, id: number) =>
  page.evaluate((i) => ({ ...(window as any).__fake.state.sessions.find((s: { id: number }) => s.id === i) }), id);
const balance = (page: Page) => page.evaluate(() => (window as any).__fake.state.remaining as number);
const theme = (page: Page) => page.evaluate(() => document.documentElement.dataset.theme);

async function replyDone(page: Page) {
  await page.getByTestId("typing-indicator").waitFor();
  await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
}

const row = (page: Page, name: string) => page.locator(`[data-testid="model-row"][data-name="${name}"]`);
const rowNames = (page: Page) => page.getByTestId("model-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
const defaultName = (page: Page) =>
  page.getByTestId("model-row").filter({ has: page.getByTestId("default-badge") }).evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
const pickerText = (page: Page) =>
  page.getByTestId("model-picker").evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent?.trim() ?? null);

const LLAMA = { kind: "open_ai_compatible", baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.1", streams: true, vision: false };
const O3 = {
  kind: "azure", endpoint: "https://example.openai.azure.com", deployment: "o3-mini", apiVersion: null, family: "o_series", streams: true,
  reasoningEffort: "medium", maxCompletionTokens: null, vision: false,
};

/** Adds "Local llama" through Settings' form. */
async function addLlama(page: Page) {
  await page.getByTestId("add-model").click();
  const dialog = page.getByTestId("model-dialog");
  await dialog.getByTestId("model-name").fill("Local llama");
  await dialog.getByTestId("kind-compatible").check();
  await dialog.getByTestId("model-base-url").fill("http://127.0.0.1:11434/v1");
  await dialog.getByTestId("model-id").fill("llama3.1");
  await dialog.getByTestId("save-model").click();
  await row(page, "Local llama").waitFor();
}

describe("Settings › AI models", () => {
  it("adds a model, refuses a taken name by its field, makes it the default and back, tests it", async () => {
    const { page, context, errors } = await suite.open({ hash: "#/settings" });
    await row(page, "o3-mini").waitFor();
    expect(await defaultName(page)).toEqual(["o3-mini"]);
    expect(await row(page, "o3-mini").getByTestId("key-status").textContent()).toBe("A key is stored (in the system keyring)");

    await addLlama(page);
    expect(await rowNames(page)).toEqual(["o3-mini", "Local llama"]);
    expect(await calls(page, "save_model")).toEqual([
      { input: { name: "Local llama", previousName: null, config: LLAMA, apiKey: null, clearKey: false, makeDefault: false } },
    ]);
    const llama = row(page, "Local llama");
    expect(await llama.getByTestId("model-label").textContent()).toBe("http://127.0.0.1:11434/v1 · llama3.1");
    expect(await llama.getByTestId("key-status").textContent()).toBe("No key stored");
    expect(await defaultName(page)).toEqual(["o3-mini"]);

    // The core's refusal shows by the field it names; the form stays open.
    await page.getByTestId("add-model").click();
    const dialog = page.getByTestId("model-dialog");
    await dialog.getByTestId("model-name").fill("Local llama");
    await dialog.getByTestId("kind-compatible").check();
    await dialog.getByTestId("model-base-url").fill("http://127.0.0.1:8080/v1");
    await dialog.getByTestId("model-id").fill("qwen");
    await dialog.getByTestId("save-model").click();
    await expect.poll(() => dialog.locator("label", { has: page.getByTestId("model-name") }).locator(".error-text").textContent())
      .toContain('another model is already called "Local llama"');
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await rowNames(page)).toEqual(["o3-mini", "Local llama"]);

    // Default and back.
    await llama.getByTestId("make-default").click();
    await expect.poll(() => defaultName(page)).toEqual(["Local llama"]);
    await row(page, "o3-mini").getByTestId("make-default").click();
    await expect.poll(() => defaultName(page)).toEqual(["o3-mini"]);
    expect(await calls(page, "set_default_model")).toEqual([{ name: "Local llama" }, { name: "o3-mini" }]);

    // Each model is tested by name.
    await llama.getByTestId("test-connection").click();
    await expect.poll(() => llama.getByTestId("test-result").textContent()).toBe("http://127.0.0.1:11434/v1 · llama3.1 answered in 412 ms");
    expect(await calls(page, "test_connection")).toEqual([{ name: "Local llama" }]);

    // Editing shows whether a key is stored, never the key.
    await row(page, "o3-mini").getByTestId("edit-model").click();
    expect(await dialog.getByTestId("model-name").inputValue()).toBe("o3-mini");
    expect(await dialog.getByTestId("api-key").inputValue()).toBe("");
    expect(await dialog.getByTestId("form-key-status").textContent()).toContain("A key is stored");
    expect(await dialog.getByTestId("clear-key").isChecked()).toBe(false);
    await dialog.getByRole("button", { name: "Cancel" }).click();

    const section = page.getByTestId("models-section");
    await section.screenshot({ path: join(screenshotDir, "models-settings-1280-light.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    await expect.poll(() => theme(page)).toBe("dark");
    await section.screenshot({ path: join(screenshotDir, "models-settings-1280-dark.png") });
    await page.getByTestId("add-model").click();
    await dialog.getByTestId("kind-compatible").check();
    await page.screenshot({ path: join(screenshotDir, "models-form-1280-dark.png") });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("renames a model (its chats follow) and shows an environment model read-only", async () => {
    const seed = {
      models: [
        { name: "o3-mini", config: O3, key: true, environment: true },
        { name: "Local llama", config: LLAMA },
      ],
      sessions: [{ title: "Llama chat", messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }] }],
    };
    const { page, context, errors } = await suite.open({ hash: "#/settings", seed });
    await page.evaluate(() => ((window as any).__fake.state.sessions[0].model = "Local llama"));
    const env = row(page, "o3-mini");
    await env.getByTestId("env-model").waitFor();
    expect(await env.getByTestId("edit-model").count()).toBe(0);
    expect(await env.getByTestId("remove-model").count()).toBe(0);
    expect(await page.getByTestId("env-override").isVisible()).toBe(true);
    expect(await defaultName(page)).toEqual(["o3-mini"]);
    // The environment's model is the default while it is set.
    expect(await row(page, "Local llama").getByTestId("make-default").isDisabled()).toBe(true);

    await row(page, "Local llama").getByTestId("edit-model").click();
    const dialog = page.getByTestId("model-dialog");
    await dialog.getByTestId("model-name").fill("Llama 3.1");
    await dialog.getByTestId("model-vision").check();
    await dialog.getByTestId("save-model").click();
    await row(page, "Llama 3.1").waitFor();
    expect((await calls(page, "save_model"))[0].input).toMatchObject({ name: "Llama 3.1", previousName: "Local llama", config: { ...LLAMA, vision: true } });
    expect((await fakeSession(page, 1)).model).toBe("Llama 3.1");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("signed in, lists the server's models read-only", async () => {
    const seed = {
      account: {
        server: "https://banter.example.com", displayName: "Ada",
        models: [
          { name: "gpt-4.1", label: "Azure OpenAI · gpt-4.1", isDefault: true, reasons: false, vision: true, streams: true, problem: null },
          { name: "o4-mini", label: "Azure OpenAI · o4-mini", isDefault: false, reasons: true, vision: true, streams: true, problem: null },
        ],
      },
    };
    const { page, context, errors } = await suite.open({ hash: "#/settings", seed });
    const list = page.getByTestId("server-models");
    await list.waitFor();
    expect(await list.getByTestId("model-row").allInnerTexts()).toEqual([expect.stringContaining("gpt-4.1"), expect.stringContaining("o4-mini")]);
    expect(await page.getByTestId("server-models-note").textContent()).toContain("operator");
    expect(await page.getByTestId("add-model").count()).toBe(0);
    expect(await calls(page, "configured_models")).toEqual([]);

    // The picker offers the server's models.
    await page.goto(`${suite.server.url}/#/chat`);
    await expect.poll(() => pickerText(page)).toBe("gpt-4.1 (default)");
    await page.getByTestId("model-picker").selectOption("o4-mini");
    await expect.poll(() => page.evaluate(() => location.hash)).toBe("#/chat/1");
    await page.getByTestId("composer-input").fill("Hello server");
    await page.getByTestId("send").click();
    await replyDone(page);
    expect(await page.getByTestId("message-model").allInnerTexts()).toEqual(["o4-mini"]);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("the composer's model picker", () => {
  it("chooses a new chat's model, answers with it, keeps it across chat switches and settings changes; removal falls back to the default", async () => {
    const seed = {
      personas: [{ name: "Pirate", prompt: "You are a pirate.", reasoningEffort: "high" }],
      sessions: [{ title: "Older chat", messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }] }],
    };
    const { page, context, errors } = await suite.open({ hash: "#/settings", seed });
    await row(page, "o3-mini").waitFor();
    await addLlama(page);

    // A new chat: the default is shown; choosing Local llama starts the chat with it.
    await page.goto(`${suite.server.url}/#/chat`);
    const picker = page.getByTestId("model-picker");
    await expect.poll(() => pickerText(page)).toBe("o3-mini (default)");
    expect(await picker.getAttribute("aria-label")).toBe("Model");
    expect(await picker.locator("option").allTextContents()).toEqual(["o3-mini (default)", "Local llama"]);
    await picker.selectOption("Local llama");
    await expect.poll(() => page.evaluate(() => location.hash)).toBe("#/chat/2");
    expect(await calls(page, "set_session_settings")).toEqual([
      { sessionId: null, settings: { systemPrompt: null, reasoningEffort: null, model: "Local llama" } },
    ]);
    await expect.poll(() => picker.inputValue()).toBe("Local llama");

    // The send goes to that chat, and the reply says which model wrote it.
    await page.getByTestId("composer-input").fill("Hello llama");
    await page.getByTestId("send").click();
    await replyDone(page);
    expect((await calls(page, "send_message")).map((c: any) => c.request.sessionId)).toEqual([2]);
    expect(await page.getByTestId("message-model").allInnerTexts()).toEqual(["llama3.1"]);

    // Chat settings: Local llama takes no effort; a persona's prompt keeps the chat's model.
    await page.getByTestId("chat-settings").click();
    const dialog = page.getByTestId("chat-settings-dialog");
    await dialog.getByTestId("effort-not-offered").waitFor();
    expect(await dialog.getByTestId("effort-pick").count()).toBe(0);
    await dialog.getByTestId("persona-pick").selectOption("Pirate");
    expect(await dialog.getByTestId("system-prompt").inputValue()).toBe("You are a pirate.");
    await dialog.getByTestId("save-chat-settings").click();
    await expect.poll(async () => (await calls(page, "set_session_settings")).length).toBe(2);
    expect((await calls(page, "set_session_settings"))[1]).toEqual({
      sessionId: 2, settings: { systemPrompt: "You are a pirate.", reasoningEffort: "high", model: "Local llama" },
    });
    // Then the prompt alone changes: the model stays.
    await page.getByTestId("chat-settings").click();
    await expect.poll(() => dialog.getByTestId("system-prompt").inputValue()).toBe("You are a pirate.");
    await dialog.getByTestId("system-prompt").fill("Be brief.");
    await dialog.getByTestId("save-chat-settings").click();
    await expect.poll(async () => (await calls(page, "set_session_settings")).length).toBe(3);
    expect((await calls(page, "set_session_settings"))[2].settings).toEqual({ systemPrompt: "Be brief.", reasoningEffort: "high", model: "Local llama" });
    expect((await fakeSession(page, 2)).model).toBe("Local llama");
    expect(await picker.inputValue()).toBe("Local llama");

    // Another chat shows its own (the default); back again, and after a reload.
    await page.locator('[data-testid="session-item"][data-session-id="1"] a').first().click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe("#/chat/1");
    await expect.poll(() => pickerText(page)).toBe("o3-mini (default)");
    await page.locator('[data-testid="session-item"][data-session-id="2"] a').first().click();
    await expect.poll(() => pickerText(page)).toBe("Local llama");

    // Choosing in an existing chat reads it fresh: settings changed elsewhere are kept.
    await page.evaluate(() => ((window as any).__fake.state.sessions.find((s: { id: number }) => s.id === 2).systemPrompt = "Answer in French."));
    await picker.selectOption("o3-mini");
    await expect.poll(async () => (await calls(page, "set_session_settings")).at(-1)).toEqual({
      sessionId: 2, settings: { systemPrompt: "Answer in French.", reasoningEffort: "high", model: "o3-mini" },
    });
    await picker.selectOption("Local llama");
    await expect.poll(async () => (await fakeSession(page, 2)).model).toBe("Local llama");

    // Removing the model puts its chats on the default.
    await page.goto(`${suite.server.url}/#/settings`);
    await row(page, "Local llama").getByTestId("remove-model").click();
    const confirm = page.getByTestId("confirm-dialog");
    expect(await confirm.textContent()).toContain("Its chats will use the default model");
    await confirm.getByRole("button", { name: "Remove" }).click();
    await expect.poll(() => rowNames(page)).toEqual(["o3-mini"]);
    expect((await fakeSession(page, 2)).model).toBeNull();
    await page.goto(`${suite.server.url}/#/chat/2`);
    await expect.poll(() => pickerText(page)).toBe("o3-mini (default)");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows each chat's own model after a reload (the fake core keeps its seed)", async () => {
    const seed = {
      models: [{ name: "o3-mini", config: O3, key: true }, { name: "Local llama", config: LLAMA }],
      sessions: [
        { title: "Llama chat", model: "Local llama", messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }] },
        { title: "Default chat", messages: [{ role: "user", content: "Hey" }, { role: "assistant", content: "Hi there" }] },
      ],
    };
    const { page, context, errors } = await suite.open({ hash: "#/chat/1", seed });
    await expect.poll(() => pickerText(page)).toBe("Local llama");
    await page.reload();
    await expect.poll(() => pickerText(page)).toBe("Local llama");
    await page.goto(`${suite.server.url}/#/chat/2`);
    await expect.poll(() => pickerText(page)).toBe("o3-mini (default)");
    await page.reload();
    await expect.poll(() => pickerText(page)).toBe("o3-mini (default)");
    await page.goto(`${suite.server.url}/#/chat/1`);
    await expect.poll(() => pickerText(page)).toBe("Local llama");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("marks a chat's model that is gone, and a send to it is refused with what to do", async () => {
    const seed = {
      models: [
        { name: "o3-mini", config: O3, key: true },
        { name: "gpt-4o", config: { ...O3, endpoint: "https://other.openai.azure.com", deployment: "gpt-4o", family: "gpt" } },
      ],
      sessions: [{ title: "Orphan", messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }] }],
    };
    const { page, context } = await suite.open({ hash: "#/", seed });
    await page.evaluate(() => ((window as any).__fake.state.sessions[0].model = "Gone model"));
    await page.goto(`${suite.server.url}/#/chat/1`);
    const picker = page.getByTestId("model-picker");
    await expect.poll(() => pickerText(page)).toBe("Gone model (not configured)");
    // A model without its key is listed, disabled, with the reason.
    const keyless = picker.locator('option[value="gpt-4o"]');
    expect(await keyless.textContent()).toBe("gpt-4o (unavailable)");
    expect(await keyless.isDisabled()).toBe(true);
    expect(await keyless.getAttribute("title")).toContain("no API key");

    await page.getByTestId("composer-input").fill("Still there?");
    await page.getByTestId("send").click();
    await expect.poll(() => page.getByTestId("toast").allTextContents()).toEqual([
      expect.stringContaining('No model called "Gone model" is configured any more. Choose another model'),
    ]);
    expect(await balance(page)).toBe(100);
    expect(await page.getByTestId("composer-input").inputValue()).toBe("Still there?");

    // Choosing a model that exists lets the send go (the keyboard works the picker too).
    await picker.focus();
    await picker.selectOption("o3-mini");
    await expect.poll(() => pickerText(page)).toBe("o3-mini (default)");
    await page.getByTestId("send").click();
    await replyDone(page);
    expect(await page.getByTestId("message-model").last().innerText()).toBe("o3-mini");
    expect(await balance(page)).toBe(97);
    await context.close();
  });

  it("fits a phone-width composer in light and dark, and the quick chat has no picker", async () => {
    const seed = {
      models: [
        { name: "o3-mini", config: O3, key: true },
        { name: "A local model with a rather long name", config: LLAMA },
      ],
    };
    for (const scheme of ["light", "dark"] as const) {
      const { page, context, errors } = await suite.open({
        hash: "#/chat", seed, viewport: { width: 390, height: 800 }, colorScheme: scheme,
      });
      const picker = page.getByTestId("model-picker");
      await expect.poll(() => pickerText(page)).toBe("o3-mini (default)");
      await picker.selectOption("A local model with a rather long name");
      await expect.poll(() => page.evaluate(() => location.hash)).toBe("#/chat/1");
      for (const el of [picker, page.getByTestId("send"), page.getByTestId("attach")]) {
        await expect
          .poll(async () => {
            const box = await el.boundingBox();
            return box !== null && box.x >= 0 && box.x + box.width <= 390;
          })
          .toBe(true);
      }
      expect(await theme(page)).toBe(scheme);
      await page.screenshot({ path: join(screenshotDir, `models-picker-390-${scheme}.png`) });

      if (scheme === "light") {
        const quick = await openWindow(context, `${suite.server.url}/?window=quick`);
        await quick.page.getByTestId("composer-input").waitFor();
        expect(await quick.page.getByTestId("model-picker").count()).toBe(0);
        const used = await quick.page.evaluate(() => (window as any).__fake.calls().map((c: { cmd: string }) => c.cmd));
        expect(used).not.toContain("list_models");
        expect(quick.errors).toEqual([]);
      }
      expect(errors).toEqual([]);
      await context.close();
    }
  });
});
