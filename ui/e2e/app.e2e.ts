// Browser tests: the built UI in Chromium against the fake core
// (e2e/fake/backend.ts). Screenshots of each screen go to target/screenshots/.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import quickChatCapability from "../../src-tauri/capabilities/quick-chat.json";
import { distDir, screenshotDir } from "./harness.mjs";
import { browserSuite } from "./suite";

const WIDE = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const HISTORY = {
  sessions: [
    {
      title: "Rust lifetimes",
      messages: [
        { role: "user" as const, content: "How do lifetimes work in Rust?" },
        { role: "assistant" as const, content: "Lifetimes tell the **borrow checker** how long references live.\n\n```rust\nfn longest<'a>(a: &'a str, b: &'a str) -> &'a str { if a.len() > b.len() { a } else { b } }\n```" },
      ],
    },
    {
      title: "Trip to Lisbon",
      messages: [
        { role: "user" as const, content: "Plan a weekend in Lisbon" },
        { role: "assistant" as const, content: "Day 1: Alfama and the tram 28. Day 2: Belém and pastéis de nata." },
      ],
    },
  ],
};

async function open(opts: { seed?: object; viewport?: { width: number; height: number }; hash?: string; path?: string } = {}) {
  return suite.open({ ...opts });
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

/** Waits for a reply to start streaming and then to finish. */
async function replyDone(page: Page) {
  await page.getByTestId("typing-indicator").waitFor();
  await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
}

async function badge(page: Page) {
  const el = page.getByTestId("credit-badge");
  return { text: (await el.textContent())?.trim(), band: await el.getAttribute("data-band") };
}

const suite = browserSuite();

describe("the built bundle", () => {
  it("does not ship the IPC mock", async () => {
    const assets = await readdir(join(distDir, "assets"));
    for (const file of assets.filter((f) => f.endsWith(".js"))) {
      const code = await readFile(join(distDir, "assets", file), "utf8");
      expect(code).not.toContain("mockIPC");
      expect(code).not.toContain("Couldn't find callback id");
      expect(code).not.toContain("__fake");
    }
  });
});

describe("chat", () => {
  it("sends a message and streams the reply progressively", async () => {
    const { page, context, errors } = await open({ hash: "#/chat" });
    expect(await badge(page)).toEqual({ text: "100 credits", band: "green" });
    await expect.poll(() => page.getByTestId("cost").textContent()).toBe("3 credits");
    await page.evaluate(() => {
      const w = window as any;
      w.__fake.state.delayMs = 40;
      w.__fake.queueReply("Streaming works. ".repeat(12) + "\n\n- done");
    });
    const input = page.getByTestId("composer-input");
    await input.fill("Hello there");
    await input.press("Enter");

    await page.getByTestId("typing-indicator").waitFor();
    await expect.poll(() => page.url()).toMatch(/#\/chat\/\d+$/);
    const reply = page.locator('[data-testid="message"].assistant').last();
    // Progressive: a partial text is seen before the whole reply.
    await expect.poll(async () => ((await reply.textContent()) ?? "").length).toBeGreaterThan(10);
    const partial = ((await reply.textContent()) ?? "").length;
    expect(partial).toBeLessThan(200);
    await expect(page.getByTestId("stop").isVisible()).resolves.toBe(true);
    await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
    expect(await reply.locator("li").textContent()).toBe("done");
    await expect.poll(() => badge(page)).toEqual({ text: "97 credits", band: "green" });
    expect(await page.locator('[data-testid="message"].user').textContent()).toContain("Hello there");
    // The session shows up in the sidebar with its title.
    await expect.poll(() => page.getByTestId("session-item").count()).toBe(1);
    expect(errors).toEqual([]);
    await shot(page, "chat-1280");
    await context.close();
  });

  it("stops a streaming reply with Escape", async () => {
    const { page, context } = await open({ hash: "#/chat", seed: { delayMs: 60, chunk: 3 } });
    await page.getByTestId("composer-input").fill("Tell me a long story");
    await page.getByTestId("composer-input").press("Enter");
    await page.getByTestId("typing-indicator").waitFor();
    await page.waitForTimeout(400);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.getByTestId("status-badge").textContent()).toBe("Stopped");
    expect(await page.evaluate(() => (window as any).__fake.calls("stop_reply").length)).toBe(1);
    await context.close();
  });

  it("colours the badge by band at 51, 50, 20 and 19 and warns below 20", async () => {
    const { page, context } = await open();
    const cases: [number, string, string][] = [
      [51, "green", "51 credits"],
      [50, "yellow", "50 credits"],
      [20, "yellow", "20 credits"],
      [19, "red", "19 credits"],
    ];
    for (const [n, band, text] of cases) {
      await page.evaluate((x) => (window as any).__fake.setBalance(x), n);
      await expect.poll(() => badge(page)).toEqual({ text, band });
    }
    const colours = await page.getByTestId("credit-badge").evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(colours).toBe("rgb(254, 226, 226)");
    // Dropping to 19 warned once.
    const toasts = page.getByTestId("toast");
    await expect.poll(() => toasts.allTextContents()).toEqual(["Running low: 19 credits left. "]);
    // Back above the line re-arms; a send that crosses it warns once more,
    // though the core's event and the send result both report the drop.
    await page.evaluate(() => (window as any).__fake.setBalance(21));
    await expect.poll(() => badge(page)).toEqual({ text: "21 credits", band: "yellow" });
    await page.locator('a[href="#/chat"]').first().click();
    await page.getByTestId("composer-input").fill("cross the line");
    await page.getByTestId("composer-input").press("Enter");
    await expect.poll(() => page.getByTestId("typing-indicator").count()).toBe(1);
    await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
    expect((await toasts.allTextContents()).filter((t) => t.includes("18 credits"))).toHaveLength(1);
    await shot(page, "toast-low-1280");
    await context.close();
  });

  it("blocks sends without credits and offers Buy more", async () => {
    const { page, context } = await open({ hash: "#/chat", seed: { balance: 2 } });
    await expect.poll(() => badge(page)).toEqual({ text: "2 credits", band: "red" });
    await page.getByTestId("composer-input").fill("Am I out?");
    await page.getByTestId("composer-input").press("Enter");
    const dialog = page.getByTestId("out-of-credits");
    await dialog.getByText("You're out of credits").waitFor();
    // The draft stays in the box.
    expect(await page.getByTestId("composer-input").inputValue()).toBe("Am I out?");
    await dialog.getByRole("button", { name: "Buy more" }).click();
    await expect.poll(() => page.url()).toMatch(/#\/pricing$/);
    await page.getByTestId("product").first().waitFor();
    expect(await page.getByTestId("product").count()).toBe(4);
    await context.close();
  });

  it("shows the dialog when the core refuses for credits", async () => {
    const { page, context } = await open({ hash: "#/chat", seed: { balance: 5 } });
    await expect.poll(() => badge(page)).toEqual({ text: "5 credits", band: "red" });
    // The core's balance drops behind the UI's back (another window spent it).
    await page.evaluate(() => ((window as any).__fake.state.remaining = 1));
    await page.getByTestId("composer-input").fill("race");
    await page.getByTestId("composer-input").press("Enter");
    await page.getByTestId("out-of-credits").getByText("You're out of credits").waitFor();
    expect(await page.locator('[data-testid="message"]').count()).toBe(0);
    await context.close();
  });

  it("renames and deletes a session with a confirm", async () => {
    const { page, context } = await open({ hash: "#/chat/1", seed: HISTORY });
    const first = page.locator('[data-testid="session-item"][data-session-id="1"]');
    await first.waitFor();
    await first.getByTestId("rename").click();
    const input = first.getByTestId("rename-input");
    await input.fill("Borrowing and lifetimes");
    await input.press("Enter");
    await expect.poll(() => first.locator(".title").textContent()).toBe("Borrowing and lifetimes");
    expect(await page.evaluate(() => (window as any).__fake.calls("rename_session")[0].args)).toEqual({ sessionId: 1, title: "Borrowing and lifetimes" });

    const second = page.locator('[data-testid="session-item"][data-session-id="2"]');
    await second.hover();
    await second.getByTestId("delete").click();
    const confirm = page.getByTestId("confirm-dialog");
    await confirm.getByText("Delete this chat?").waitFor();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    expect(await page.getByTestId("session-item").count()).toBe(2);
    await second.hover();
    await second.getByTestId("delete").click();
    await confirm.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => page.getByTestId("session-item").count()).toBe(1);
    expect(await page.evaluate(() => (window as any).__fake.calls("delete_session").length)).toBe(1);
    await context.close();
  });

  it("searches with highlighted snippets and jumps to the message", async () => {
    const { page, context } = await open({ seed: HISTORY });
    await page.getByTestId("balance").waitFor();
    await page.keyboard.press("Control+k");
    const dialog = page.getByTestId("search-dialog");
    await dialog.getByRole("searchbox").fill("tram");
    const hit = dialog.getByTestId("search-hit").first();
    await hit.waitFor();
    expect(await hit.locator("mark").textContent()).toBe("tram");
    await shot(page, "search-1280");
    await hit.click();
    await expect.poll(() => page.url()).toMatch(/#\/chat\/2\?m=4$/);
    const target = page.locator('[data-message-id="4"]');
    await target.waitFor();
    expect(await target.getAttribute("class")).toContain("highlighted");
    expect(await target.isVisible()).toBe(true);
    const call = await page.evaluate(() => (window as any).__fake.calls("list_messages").at(-1).args);
    expect(call).toEqual({ sessionId: 2, before: 5, limit: 50 });
    await context.close();
  });

  it("never runs script from a reply and opens only safe links", async () => {
    const { page, context } = await open({ hash: "#/chat" });
    await page.evaluate(() => {
      (window as any).__fake.queueReply(
        'Careful <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script>\n\n' +
          "[click](javascript:window.__xss=3) and [docs](https://example.com/docs)",
      );
    });
    await page.getByTestId("composer-input").fill("be evil");
    await page.getByTestId("composer-input").press("Enter");
    await replyDone(page);
    const reply = page.locator('[data-testid="message"].assistant').last();
    expect(await reply.locator("img, script").count()).toBe(0);
    await reply.getByText("click").click();
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
    await reply.getByText("docs").click();
    await expect.poll(() => page.evaluate(() => (window as any).__fake.calls("open_link").map((c: any) => c.args.url))).toEqual(["https://example.com/docs"]);
    expect(page.url()).toContain(suite.server.url);
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
    await context.close();
  });

  it("regenerates the last reply in place", async () => {
    const { page, context } = await open({ hash: "#/chat/1", seed: HISTORY });
    await page.locator('[data-message-id="2"]').waitFor();
    await page.evaluate(() => (window as any).__fake.queueReply("A **fresh** take."));
    await page.getByTestId("regenerate").click();
    await expect.poll(() => page.locator('[data-testid="message"].assistant').textContent()).toContain("A fresh take.");
    await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
    expect(await page.locator('[data-testid="message"]').count()).toBe(2);
    await expect.poll(() => badge(page)).toEqual({ text: "97 credits", band: "green" });
    await context.close();
  });

  it("exports a session and shows where it went", async () => {
    const { page, context } = await open({ hash: "#/chat/1", seed: HISTORY });
    await page.getByTestId("export").click();
    await page.getByRole("menuitem", { name: "Markdown (.md)" }).click();
    await expect.poll(() => page.getByTestId("toast").first().textContent()).toContain("Saved to /home/user/Downloads/CH-000001.md");
    await context.close();
  });

  it("keeps the context toggle after leaving Chat and after a reload", async () => {
    const { page, context, errors } = await open({ hash: "#/chat" });
    const toggle = page.getByLabel("Include my projects & tasks");
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await page.evaluate(() => (location.hash = "#/projects"));
    await page.getByTestId("composer-input").waitFor({ state: "detached" });
    await page.evaluate(() => (location.hash = "#/chat"));
    await expect.poll(() => toggle.isChecked()).toBe(true);
    // The plugin's file outlives the window (the fake keeps it in localStorage).
    await page.reload();
    await expect.poll(() => toggle.isChecked()).toBe(true);
    await page.getByTestId("composer-input").fill("With context");
    await page.getByTestId("composer-input").press("Enter");
    await replyDone(page);
    const sends: { args: any }[] = await page.evaluate(() => (window as any).__fake.calls("send_message"));
    expect(sends.at(-1)?.args.request.includeContext).toBe(true);
    await toggle.uncheck();
    await page.reload();
    await expect.poll(() => page.getByLabel("Include my projects & tasks").isChecked()).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("reopens the screen it was last on, unless started on a page", async () => {
    const { page, context, errors } = await open();
    await page.evaluate(() => (location.hash = "#/projects"));
    const saved = () => page.evaluate(() => localStorage.getItem("fake-store:preferences.json") ?? "");
    await expect.poll(saved).toContain('"lastScreen":"#/projects"');
    // A start with no route: the last screen (its section, not the record).
    await page.goto(`${suite.server.url}/`);
    await expect.poll(() => page.url()).toMatch(/#\/projects$/);
    // A start on a page stays there, and becomes the last screen (saved in
    // the background, like every preference: wait for it, as above).
    await page.goto(`${suite.server.url}/#/credits`);
    await expect.poll(saved).toContain('"lastScreen":"#/credits"');
    await page.goto(`${suite.server.url}/`);
    await expect.poll(() => page.url()).toMatch(/#\/credits$/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("starts a new chat from the dashboard's Quick Chat card", async () => {
    const { page, context } = await open({ seed: HISTORY });
    await page.getByTestId("quick-input").fill("Quick question");
    await page.getByTestId("quick-input").press("Enter");
    await expect.poll(() => page.url()).toMatch(/#\/chat\/3$/);
    await replyDone(page);
    expect(await page.locator('[data-testid="message"].user').textContent()).toContain("Quick question");
    await context.close();
  });
});

describe("purchases", () => {
  const products = (page: Page) => page.getByTestId("product");

  it("lists the four products with prices from the core", async () => {
    const { page, context, errors } = await open({ hash: "#/pricing" });
    await products(page).first().waitFor();
    expect(await products(page).evaluateAll((els) => els.map((e) => e.getAttribute("data-product")))).toEqual([
      "credits_500", "credits_1000", "credits_5000", "pro",
    ]);
    expect(await page.getByTestId("price").allTextContents()).toEqual(["$5", "$9", "$40", "$20/month"]);
    expect(await products(page).first().textContent()).toContain("About 166 chat messages");
    expect(await page.getByTestId("buy").evaluateAll((els) => els.map((e) => (e as HTMLButtonElement).disabled))).toEqual([
      false, false, false, false,
    ]);
    const height = (await page.getByTestId("buy").first().boundingBox())?.height ?? 0;
    expect(height).toBeGreaterThanOrEqual(44);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("Buy → pending dialog → fulfilled: success toast and 100 → 600", async () => {
    const { page, context, errors } = await open({ hash: "#/pricing" });
    expect(await badge(page)).toEqual({ text: "100 credits", band: "green" });
    await products(page).first().getByTestId("buy").click();
    const dialog = page.getByTestId("purchase-dialog");
    await expect.poll(() => dialog.getByTestId("purchase-phase").getAttribute("data-phase")).toBe("pending");
    expect(await dialog.textContent()).toContain("Complete the payment in your browser");
    expect(await page.evaluate(() => (window as any).__fake.calls("start_checkout").map((c: any) => c.args.product))).toEqual([
      "credits_500",
    ]);
    await shot(page, "purchase-pending-1280");
    // "I've paid" before Autumn knows: still pending, with a note.
    await dialog.getByTestId("purchase-check").click();
    await expect.poll(() => dialog.getByTestId("purchase-note").textContent()).toContain("hasn't confirmed");
    // Autumn confirms; the core's reconcile sends purchase_fulfilled and credits_changed.
    await page.evaluate(() => (window as any).__fake.fulfil("credits_500"));
    await expect.poll(() => page.getByTestId("toast").allTextContents()).toContain("+500 credits added ");
    await expect.poll(() => badge(page)).toEqual({ text: "600 credits", band: "green" });
    await expect.poll(() => dialog.isVisible()).toBe(false);
    // The return link's report of the same purchase does not toast twice.
    await page.evaluate(() =>
      (window as any).__fake.emitPurchaseCheck({
        state: "done", error: null,
        report: { fulfilled: [{ invoiceId: "in_x", product: "credits_500", credits: 500 }], proUntil: null, pending: [] },
      }),
    );
    await page.waitForTimeout(200);
    expect((await page.getByTestId("toast").allTextContents()).filter((t) => t.includes("+500"))).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("check now in the dialog fulfils a paid purchase; Pro shows its end date", async () => {
    const { page, context } = await open({ hash: "#/pricing" });
    await products(page).last().getByTestId("buy").click();
    const dialog = page.getByTestId("purchase-dialog");
    await expect.poll(() => dialog.getByTestId("purchase-phase").getAttribute("data-phase")).toBe("pending");
    await page.evaluate(() => (window as any).__fake.pay("pro"));
    await dialog.getByTestId("purchase-check").click();
    await expect.poll(() => page.getByTestId("toast").allTextContents()).toContain("Pro is active ");
    await expect.poll(() => page.getByTestId("pro-active").textContent()).toBe("Active until Dec 25, 2026");
    expect(await page.getByTestId("toast").allTextContents()).toEqual(["Pro is active "]);
    await context.close();
  });

  it("not configured: Buy is off and says why", async () => {
    const { page, context } = await open({ hash: "#/pricing", seed: { billingConfigured: false } });
    await page.getByTestId("billing-not-configured").waitFor();
    expect(await page.getByTestId("billing-not-configured").textContent()).toContain("Purchases are not set up on this machine");
    expect(await page.getByTestId("buy").evaluateAll((els) => els.every((e) => (e as HTMLButtonElement).disabled))).toBe(true);
    await context.close();
  });

  it("a checkout that cannot start says nothing was charged", async () => {
    const { page, context } = await open({ hash: "#/pricing" });
    await page.evaluate(() => ((window as any).__fake.state.checkoutError = { code: "billing_network", message: "connection refused" }));
    await products(page).first().getByTestId("buy").click();
    const error = page.getByTestId("purchase-dialog").getByTestId("purchase-error");
    await expect.poll(() => error.textContent()).toContain("Autumn can't be reached; nothing was charged");
    await context.close();
  });

  it("lists pending checkouts; a failed check shows the error", async () => {
    const { page, context } = await open({ hash: "#/pricing", seed: { pending: [{ product: "credits_1000" }] } });
    await page.getByTestId("pending-item").first().waitFor();
    expect(await page.getByTestId("pending-item").textContent()).toContain("1,000 credits");
    await page.evaluate(() => ((window as any).__fake.state.syncError = { code: "billing_unavailable", message: "Autumn answered 503" }));
    await page.getByTestId("pending-check").click();
    await expect.poll(() => page.getByTestId("toast").allTextContents()).toEqual(["The check failed: Autumn answered 503 "]);
    // A return link whose check fails: "checking", then the error.
    await page.evaluate(() => (window as any).__fake.emitPurchaseCheck({ state: "checking", report: null, error: null }));
    await expect.poll(() => page.getByTestId("toast").allTextContents()).toContain("Checking your purchase… ");
    await page.evaluate(() =>
      (window as any).__fake.emitPurchaseCheck({ state: "failed", report: null, error: { code: "billing_network", message: "Autumn can't be reached" } }),
    );
    await expect.poll(() => page.getByTestId("toast").allTextContents()).toContain("Checking your purchase failed: Autumn can't be reached ");
    await context.close();
  });

  it("shows the pending dialog on a phone", async () => {
    const { page, context } = await open({ hash: "#/pricing", viewport: PHONE });
    await products(page).first().getByTestId("buy").click();
    const dialog = page.getByTestId("purchase-dialog");
    await expect.poll(() => dialog.getByTestId("purchase-phase").getAttribute("data-phase")).toBe("pending");
    const heights = await dialog.locator("button").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(44);
    await shot(page, "purchase-pending-390");
    await dialog.getByTestId("purchase-cancel").click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await page.getByTestId("pending-item").first().waitFor();
    expect(await page.getByTestId("toast").allTextContents()).toEqual([
      "Purchase still pending: if you complete the payment, the credits are added automatically. ",
    ]);
    await context.close();
  });
});

describe("narrow window", () => {
  it("uses a drawer for sessions at 390×844", async () => {
    const { page, context } = await open({ viewport: PHONE, hash: "#/chat/1", seed: HISTORY });
    await page.locator('[data-message-id="2"]').waitFor();
    const sidebar = page.getByTestId("session-sidebar");
    const hidden = await sidebar.boundingBox();
    expect((hidden?.x ?? 0) + (hidden?.width ?? 0)).toBeLessThanOrEqual(1);
    await shot(page, "chat-390");
    await page.getByTestId("drawer-toggle").click();
    await expect.poll(async () => (await sidebar.boundingBox())?.x).toBe(0);
    await shot(page, "chat-drawer-390");
    // Touch targets are at least 44 px tall.
    const sizes = await page.locator(".sessions button, .sessions a, .composer button").evaluateAll((els) =>
      els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.getBoundingClientRect().height),
    );
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(44);
    await page.locator('[data-testid="session-item"][data-session-id="2"] a').click();
    await expect.poll(() => page.url()).toMatch(/#\/chat\/2$/);
    await expect.poll(async () => ((await sidebar.boundingBox())?.x ?? 0) < 0).toBe(true);
    await context.close();
  });
});

const PROJECTS = {
  projects: [
    {
      name: "Website relaunch",
      description: "New pages and a faster checkout.",
      tasks: [
        { title: "Write the copy", status: "in_progress", priority: "high", dueDate: "2026-12-05" },
        { title: "Pick the fonts", status: "done" },
        { title: "Set up analytics", priority: "low" },
      ],
    },
    { name: "Garden shed", tasks: [{ title: "Buy timber", priority: "urgent" }] },
    { name: "Old archive", archived: true, tasks: [{ title: "Hidden task" }] },
  ],
};

describe("projects", () => {
  it("creates a project, adds a task and completes it", async () => {
    const { page, context, errors } = await open({ hash: "#/projects" });
    await page.getByText("No projects yet.").first().waitFor();
    await page.getByTestId("new-project").click();
    await page.getByTestId("new-project-name").fill("Move house");
    await page.getByTestId("new-project-description").fill("Boxes, van, keys.");
    await page.getByTestId("create-project").click();
    await expect.poll(() => page.url()).toMatch(/#\/projects\/1$/);
    await expect.poll(() => page.getByTestId("project-name").textContent()).toBe("Move house");
    await page.getByTestId("new-task-title").fill("Book the van");
    await page.getByTestId("new-task-priority").selectOption("high");
    await page.getByTestId("new-task-due").fill("2026-12-10");
    await page.getByTestId("add-task").click();
    const row = page.getByTestId("task-row").first();
    await expect.poll(() => row.getByTestId("task-title").textContent()).toBe("Book the van");
    expect(await row.getByTestId("task-priority").inputValue()).toBe("high");
    expect(await row.getByTestId("task-due").inputValue()).toBe("2026-12-10");
    expect(await page.getByTestId("new-task-title").inputValue()).toBe("");
    await row.getByTestId("task-status").selectOption("done");
    await expect.poll(() => row.getAttribute("data-status")).toBe("done");
    await expect.poll(() => page.getByText("0 of 1 open").count()).toBe(1);
    const task = await page.evaluate(() => (window as any).__fake.state.tasks[0]);
    expect(task).toMatchObject({ title: "Book the van", status: "done", priority: "high", dueDate: "2026-12-10" });
    // Inline edit, then archive and restore.
    await page.getByTestId("edit-project").click();
    await page.getByTestId("edit-project-name").fill("Move flat");
    await page.getByTestId("save-project").click();
    await expect.poll(() => page.getByTestId("project-name").textContent()).toBe("Move flat");
    await page.getByTestId("archive-project").click();
    await page.getByTestId("archived-label").waitFor();
    await page.getByTestId("archive-project").click();
    await page.getByTestId("archived-label").waitFor({ state: "detached" });
    // Delete asks first.
    await row.getByTestId("delete-task").click();
    await page.getByTestId("confirm-dialog").getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => page.getByTestId("task-row").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("generates a project with AI: 100 → 85 and its tasks shown", async () => {
    const { page, context, errors } = await open({ hash: "#/projects" });
    await expect.poll(() => page.getByTestId("generate-cost").textContent()).toBe("15 credits");
    await page.getByTestId("generate-prompt").fill("Launch a bakery website");
    await page.getByTestId("generate").click();
    await page.getByTestId("generate-busy").waitFor();
    await expect.poll(() => page.url()).toMatch(/#\/projects\/1$/);
    await page.getByTestId("toast").getByText("Project created with 3 tasks").first().waitFor();
    await expect.poll(() => page.getByTestId("task-row").count()).toBe(3);
    expect(await page.getByTestId("project-name").textContent()).toBe("Launch a bakery website");
    await expect.poll(() => badge(page)).toEqual({ text: "85 credits", band: "green" });
    await shot(page, "project-detail-1280");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a failed generation says the credits were refunded and the balance stays", async () => {
    const { page, context } = await open({ hash: "#/projects" });
    await expect.poll(() => badge(page)).toEqual({ text: "100 credits", band: "green" });
    await page.getByTestId("generate-prompt").fill("Something odd [[fail]]");
    await page.getByTestId("generate").click();
    await expect.poll(() => page.getByTestId("generate-error").textContent()).toContain("Your credits were refunded.");
    expect(await page.getByTestId("generate-error").textContent()).toContain("not a usable project plan");
    await expect.poll(() => badge(page)).toEqual({ text: "100 credits", band: "green" });
    expect(await page.evaluate(() => (window as any).__fake.state.projects.length)).toBe(0);
    expect(page.url()).toMatch(/#\/projects$/);
    // The prompt stays so it can be edited and tried again.
    expect(await page.getByTestId("generate-prompt").inputValue()).toBe("Something odd [[fail]]");
    await context.close();
  });

  it("generation without enough credits opens the out-of-credits dialog", async () => {
    const { page, context } = await open({ hash: "#/projects", seed: { balance: 10 } });
    await expect.poll(() => badge(page)).toEqual({ text: "10 credits", band: "red" });
    await page.getByTestId("generate-prompt").fill("A plan");
    await page.getByTestId("generate").click();
    await page.getByTestId("out-of-credits").getByText("Generating a project costs 15 credits").waitFor();
    expect(await page.evaluate(() => (window as any).__fake.calls("generate_project").length)).toBe(0);
    await context.close();
  });

  it("saves a web page onto a project and shows it as plain text", async () => {
    const { page, context, errors } = await open({ hash: "#/projects", seed: PROJECTS });
    await expect.poll(() => page.getByTestId("project-row").count()).toBe(2);
    await expect.poll(() => page.getByTestId("scrape-cost").textContent()).toBe("5 credits");
    await page.getByTestId("scrape-url").fill("https://example.com/article");
    await page.getByTestId("scrape-target").selectOption({ label: "Garden shed (PR-000002)" });
    await page.getByTestId("scrape").click();
    await expect.poll(() => page.url()).toMatch(/#\/projects\/2$/);
    const source = page.getByTestId("source");
    await expect.poll(() => source.getByTestId("source-title").textContent()).toBe("An article on example.com");
    expect(await source.getByTestId("source-url").textContent()).toBe("https://example.com/article");
    expect(await source.locator("b").count()).toBe(0);
    expect(await source.getByTestId("source-text").textContent()).toContain("<b>Markup stays text.</b>");
    const short = ((await source.getByTestId("source-text").textContent()) ?? "").length;
    await source.getByTestId("source-toggle").click();
    await expect.poll(async () => ((await source.getByTestId("source-text").textContent()) ?? "").length).toBeGreaterThan(short);
    await expect.poll(() => badge(page)).toEqual({ text: "95 credits", band: "green" });
    expect(errors).toEqual([]);
    await context.close();
  });

  it("refuses file:// before any charge and explains a missing page", async () => {
    const { page, context } = await open({ hash: "#/projects" });
    await page.getByTestId("scrape-url").fill("file:///etc/passwd");
    await page.getByTestId("scrape").click();
    await expect.poll(() => page.getByTestId("scrape-error").textContent()).toContain("starting with http:// or https://");
    expect(await page.getByTestId("scrape-error").textContent()).not.toContain("refunded");
    expect(await page.evaluate(() => (window as any).__fake.state.ledger.length)).toBe(1);
    await page.getByTestId("scrape-url").fill("https://example.com/missing");
    await page.getByTestId("scrape").click();
    await expect.poll(() => page.getByTestId("scrape-error").textContent()).toContain("not found (404)");
    expect(await page.getByTestId("scrape-error").textContent()).toContain("Your credits were refunded.");
    await expect.poll(() => badge(page)).toEqual({ text: "100 credits", band: "green" });
    expect(await page.evaluate(() => (window as any).__fake.state.sources.length)).toBe(0);
    await context.close();
  });

  it("lists projects, hides archived ones until asked", async () => {
    for (const [size, viewport] of [["1280", WIDE], ["390", PHONE]] as const) {
      const { page, context, errors } = await open({ hash: "#/projects", seed: PROJECTS, viewport });
      await expect.poll(() => page.getByTestId("project-row").count()).toBe(2);
      const first = page.getByTestId("project-row").first();
      expect(await first.textContent()).toContain("PR-00000");
      await expect.poll(() => page.locator('[data-project-id="1"] [data-testid="task-count"]').textContent()).toBe("2 of 3 open");
      await shot(page, `projects-${size}`);
      await page.getByTestId("show-archived").check();
      await expect.poll(() => page.getByTestId("project-row").count()).toBe(3);
      expect(errors).toEqual([]);
      await context.close();
    }
  });

  it("shows recent projects and active tasks on the dashboard", async () => {
    const { page, context, errors } = await open({ seed: PROJECTS });
    await expect.poll(() => page.getByTestId("recent-project").count()).toBe(2);
    const tasks = page.getByTestId("active-task");
    await expect.poll(() => tasks.count()).toBe(3);
    const texts = await tasks.allTextContents();
    expect(texts.some((t) => t.includes("Write the copy") && t.includes("PR-000001"))).toBe(true);
    expect(texts.some((t) => t.includes("Buy timber") && t.includes("PR-000002"))).toBe(true);
    expect(texts.join(" ")).not.toContain("Pick the fonts");
    expect(texts.join(" ")).not.toContain("Hidden task");
    await page.getByTestId("recent-project").getByText("Garden shed").click();
    await expect.poll(() => page.url()).toMatch(/#\/projects\/2$/);
    await expect.poll(() => page.getByTestId("project-name").textContent()).toBe("Garden shed");
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("screens", () => {
  for (const [size, viewport] of [["1280", WIDE], ["390", PHONE]] as const) {
    it(`renders each screen at ${size}`, async () => {
      const { page, context, errors } = await open({ viewport, seed: HISTORY });
      await page.getByTestId("balance").waitFor();
      await page.getByText("Rust lifetimes").first().waitFor();
      await shot(page, `dashboard-${size}`);
      if (size === "390") {
        await page.goto(`${suite.server.url}/#/chat/1`);
        await page.locator('[data-message-id="2"]').waitFor();
        await shot(page, "chat-390");
      }
      await page.goto(`${suite.server.url}/#/credits`);
      await page.getByTestId("ledger-row").first().waitFor();
      expect(await page.getByTestId("next-reset").textContent()).toBe("Dec 1, 2026");
      await shot(page, `credits-${size}`);
      await page.goto(`${suite.server.url}/#/settings`);
      await expect.poll(() => page.getByTestId("key-status").textContent()).toBe("A key is stored (in the system keyring)");
      await page.getByTestId("test-connection").click();
      await expect.poll(() => page.getByTestId("test-result").textContent()).toContain("412 ms");
      await shot(page, `settings-${size}`);
      await page.goto(`${suite.server.url}/#/pricing`);
      await page.getByTestId("product").first().waitFor();
      await shot(page, `pricing-${size}`);
      await page.goto(`${suite.server.url}/#/projects`);
      await page.getByText("No projects yet.").first().waitFor();
      await page.goto(`${suite.server.url}/#/`);
      await page.getByTestId("open-search").click();
      await page.getByTestId("search-dialog").getByRole("searchbox").fill("Lisbon");
      await page.getByTestId("search-hit").first().waitFor();
      await shot(page, `search-${size}`);
      expect(errors).toEqual([]);
      await context.close();
    });
  }

  it("runs the quick-chat window with only its commands", async () => {
    for (const [size, viewport] of [["1280", WIDE], ["390", PHONE]] as const) {
      const { page, context, errors } = await open({ viewport, path: "/?window=quick", hash: "" });
      await page.getByTestId("credit-badge").waitFor();
      await page.getByTestId("composer-input").fill("Quick hello");
      await page.getByTestId("composer-input").press("Enter");
      await replyDone(page);
      await page.getByTestId("composer-input").fill("And a follow-up");
      await page.getByTestId("composer-input").press("Enter");
      await page.getByTestId("typing-indicator").waitFor();
      await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
      expect(await page.locator('[data-testid="message"]').count()).toBe(4);
      expect((await badge(page)).text).toBe("94 credits");
      await shot(page, `quick-chat-${size}`);
      await page.keyboard.press("Escape");
      const calls: { cmd: string; args: any }[] = await page.evaluate(() => (window as any).__fake.calls());
      const sends = calls.filter((c) => c.cmd === "send_message");
      expect(sends[0].args.request.sessionId).toBe(null);
      expect(sends[1].args.request.sessionId).toBe(1);
      // The app commands its capability allows, and hiding itself.
      const allowed = new Set([
        ...quickChatCapability.permissions
          .filter((p) => p.startsWith("allow-"))
          .map((p) => p.slice("allow-".length).replaceAll("-", "_")),
        "plugin:window|hide",
      ]);
      const used = new Set(calls.map((c) => c.cmd).filter((c) => !c.startsWith("plugin:event|")));
      expect([...used].filter((c) => !allowed.has(c))).toEqual([]);
      expect(used.has("plugin:window|hide")).toBe(true);
      expect(errors).toEqual([]);
      await context.close();
    }
  });
});
