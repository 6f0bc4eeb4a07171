// Browser tests of the chat experience: light and dark themes (every screen
// screenshotted at 1280 and 390 px in both, and checked for readable
// contrast), message details, stop, keyboard shortcuts, and the quick-chat
// window's Buy more and links. The built UI in Chromium against the fake
// core (e2e/fake/backend.ts).
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { openWindow, screenshotDir } from "./harness.mjs";
import { browserSuite } from "./suite";

const WIDE = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SIZES = [["1280", WIDE], ["390", PHONE]] as const;
type Scheme = "light" | "dark";

/** The page background of each theme (theme.css's --bg). */
const PAGE_BG: Record<Scheme, string> = { light: "rgb(249, 250, 251)", dark: "rgb(13, 17, 23)" };

const RICH_REPLY = [
  "Lifetimes tell the **borrow checker** how long references live; see [the book](https://doc.rust-lang.org/book/).",
  "",
  "```rust",
  "// The result lives as long as the shorter input.",
  "fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {",
  '    if a.len() > b.len() { a } else { b } // "a" wins ties? no: b',
  "}",
  "let n: u32 = 42;",
  "```",
  "",
  "> A reference must never outlive its value.",
  "",
  "| term | meaning |",
  "| --- | --- |",
  "| `'a` | a lifetime |",
].join("\n");

const HISTORY = {
  sessions: [
    {
      title: "Rust lifetimes",
      messages: [
        { role: "user" as const, content: "How do lifetimes work in Rust?" },
        { role: "assistant" as const, content: RICH_REPLY },
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
  projects: [
    {
      name: "Website relaunch",
      description: "New pages and a faster checkout.",
      tasks: [
        { title: "Write the copy", status: "in_progress" as const, priority: "high" as const, dueDate: "2026-12-05" },
        { title: "Pick the fonts", status: "done" as const },
      ],
    },
  ],
};

async function open(opts: { seed?: object; viewport?: { width: number; height: number }; hash?: string; path?: string; colorScheme?: Scheme } = {}) {
  return suite.open({ setup: recordCopies, ...opts });
}

/** Copies land in `window.__copied` (the headless clipboard is not the test's to read). */
async function recordCopies(context: BrowserContext) {
  await context.addInitScript(() => {
    const w = window as any;
    w.__copied = [];
    Object.defineProperty(navigator, "clipboard", {
      configurable: true,
      value: { writeText: async (text: string) => void w.__copied.push(text) },
    });
  });
}

const copied = (page: Page): Promise<string[]> => page.evaluate(() => (window as any).__copied);
const calls = (page: Page, cmd?: string): Promise<{ cmd: string; args: any }[]> =>
  page.evaluate((c) => (window as any).__fake.calls(c), cmd);
const theme = (page: Page) => page.evaluate(() => document.documentElement.dataset.theme);
const pageBackground = (page: Page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

/** Waits for a reply to start streaming and then to finish. */
async function replyDone(page: Page) {
  await page.getByTestId("typing-indicator").waitFor();
  await page.getByTestId("typing-indicator").waitFor({ state: "detached" });
}

/**
 * Text on screen whose contrast with what is behind it is below WCAG AA
 * (4.5:1, or 3:1 for large text), as "ratio · text · colour on background".
 * Text in a see-through part (a disabled button, the hover-only details) is
 * left out, as WCAG leaves inactive controls out.
 */
function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type RGBA = { r: number; g: number; b: number; a: number };
    const parse = (css: string): RGBA | null => {
      const m = css.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const over = (top: RGBA, below: RGBA): RGBA => ({
      r: top.r * top.a + below.r * (1 - top.a),
      g: top.g * top.a + below.g * (1 - top.a),
      b: top.b * top.a + below.b * (1 - top.a),
      a: 1,
    });
    const luminance = ({ r, g, b }: RGBA) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const backdrop = (el: Element): RGBA => {
      const layers: RGBA[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0) {
          layers.push(c);
          if (c.a >= 1) break;
        }
      }
      let bg: RGBA = { r: 255, g: 255, b: 255, a: 1 };
      for (const layer of layers.reverse()) bg = over(layer, bg);
      return bg;
    };
    const seeThrough = (el: Element) => {
      for (let e: Element | null = el; e; e = e.parentElement) if (Number(getComputedStyle(e).opacity) < 1) return true;
      return false;
    };
    const found: string[] = [];
    const elements = [...document.querySelectorAll("body *")].filter((el) => {
      const text = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
      return text || el.matches("input:not([type=checkbox]):not([type=radio]), textarea, select");
    });
    for (const el of elements) {
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (box.width === 0 || box.height === 0 || style.visibility !== "visible" || seeThrough(el)) continue;
      if (box.bottom < 0 || box.top > innerHeight || box.right < 0 || box.left > innerWidth) continue;
      if ((el as HTMLInputElement).disabled || el.closest("[disabled]")) continue;
      const bg = backdrop(el);
      const fg = over(parse(style.color)!, bg);
      const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        const text = (el.textContent || (el as HTMLInputElement).value || el.tagName).trim().slice(0, 40);
        found.push(`${ratio.toFixed(2)} · ${text} · ${style.color} on ${JSON.stringify(bg)}`);
      }
    }
    return found;
  });
}

const suite = browserSuite();

describe("dark mode", () => {
  it("follows the system before the first paint, and Settings overrides it", async () => {
    const { page, context, errors } = await open({ colorScheme: "dark", hash: "#/settings" });
    // The theme is on <html> before <body> exists, so nothing is painted light first.
    await context.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (!document.body) return;
        (window as any).__themeAtBody = document.documentElement.dataset.theme ?? "none";
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    });
    await page.reload();
    const themeAtBody = () => page.evaluate(() => (window as any).__themeAtBody);
    expect(await themeAtBody()).toBe("dark");
    expect(await pageBackground(page)).toBe(PAGE_BG.dark);
    await expect.poll(() => page.getByTestId("theme-system").isChecked()).toBe(true);
    expect(await page.getByTestId("theme-note").textContent()).toContain("(dark now)");

    // Light, although the system is dark: saved with the preferences and
    // painted light from the start of the next load.
    await page.getByTestId("theme-light").check();
    expect(await theme(page)).toBe("light");
    expect(await pageBackground(page)).toBe(PAGE_BG.light);
    const saved = () => page.evaluate(() => localStorage.getItem("fake-store:preferences.json") ?? "");
    await expect.poll(saved).toContain('"theme":"light"');
    await page.reload();
    expect(await themeAtBody()).toBe("light");
    await expect.poll(() => page.getByTestId("theme-light").isChecked()).toBe(true);

    // Back to System: dark again, and it follows the system as it changes.
    await page.getByTestId("theme-system").check();
    expect(await theme(page)).toBe("dark");
    await page.emulateMedia({ colorScheme: "light" });
    await expect.poll(() => theme(page)).toBe("light");
    await page.emulateMedia({ colorScheme: "dark" });
    await expect.poll(() => theme(page)).toBe("dark");
    // Dark chosen while the system is light.
    await page.emulateMedia({ colorScheme: "light" });
    await page.getByTestId("theme-dark").check();
    await page.reload();
    expect(await themeAtBody()).toBe("dark");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("the saved preference wins over a stale first-paint copy", async () => {
    const { page, context } = await open({ colorScheme: "light", hash: "#/settings" });
    await page.getByTestId("theme-dark").check();
    await expect.poll(() => page.evaluate(() => localStorage.getItem("fake-store:preferences.json") ?? "")).toContain('"theme":"dark"');
    // The copy used for the first paint says light (written by an older run).
    await page.evaluate(() => localStorage.setItem("banter.theme", "light"));
    await page.reload();
    await expect.poll(() => theme(page)).toBe("dark");
    expect(await page.evaluate(() => localStorage.getItem("banter.theme"))).toBe("dark");
    await context.close();
  });

  it("the quick-chat window follows a choice made in the main window", async () => {
    const { page, context } = await open({ colorScheme: "light", hash: "#/settings" });
    const quick = await openWindow(context, `${suite.server.url}/?window=quick`);
    await quick.page.getByTestId("composer-input").waitFor();
    expect(await theme(quick.page)).toBe("light");
    await page.getByTestId("theme-dark").check();
    await expect.poll(() => theme(quick.page)).toBe("dark");
    expect(await pageBackground(quick.page)).toBe(PAGE_BG.dark);
    // It opens dark next time too, without the preferences file (which it may not read).
    await quick.page.reload();
    expect(await theme(quick.page)).toBe("dark");
    expect((await calls(quick.page)).map((c) => c.cmd).filter((c) => c.startsWith("plugin:store"))).toEqual([]);
    expect(quick.errors).toEqual([]);
    await context.close();
  });

  /** Each screen: where it is and what to wait for before the screenshot. */
  const SCREENS: { name: string; hash?: string; path?: string; seed?: object; ready: (page: Page) => Promise<unknown> }[] = [
    { name: "dashboard", ready: (p) => p.getByTestId("recent-project").first().waitFor() },
    {
      name: "chat",
      hash: "#/chat/1",
      ready: async (p) => {
        await p.locator('[data-message-id="2"] .hljs-keyword').first().waitFor();
        // The details row of the reply, as hovering shows it.
        await p.locator('[data-message-id="2"] .bubble').hover();
      },
    },
    { name: "chat-new", hash: "#/chat", ready: (p) => p.getByTestId("empty-state").waitFor() },
    { name: "credits", hash: "#/credits", ready: (p) => p.getByTestId("ledger-row").first().waitFor() },
    { name: "settings", hash: "#/settings", ready: (p) => p.getByTestId("key-status").getByText("A key is stored").waitFor() },
    { name: "pricing", hash: "#/pricing", ready: (p) => p.getByTestId("product").first().waitFor() },
    { name: "projects", hash: "#/projects", ready: (p) => p.getByTestId("project-row").first().waitFor() },
    { name: "project", hash: "#/projects/1", ready: (p) => p.getByTestId("task-row").first().waitFor() },
    {
      name: "search",
      ready: async (p) => {
        await p.getByTestId("balance").waitFor();
        await p.getByTestId("open-search").click({ force: true });
        await p.getByTestId("search-dialog").getByRole("searchbox").fill("Lisbon");
        await p.getByTestId("search-hit").first().waitFor();
      },
    },
    {
      name: "shortcuts",
      ready: async (p) => {
        await p.getByTestId("balance").waitFor();
        await p.keyboard.press("Shift+?");
        await p.getByTestId("shortcuts-sheet").getByText("Keyboard shortcuts").first().waitFor();
      },
    },
    {
      name: "out-of-credits",
      hash: "#/chat",
      seed: { ...HISTORY, balance: 2 },
      ready: async (p) => {
        await p.getByTestId("composer-input").fill("Am I out?");
        await p.getByTestId("composer-input").press("Enter");
        await p.getByTestId("out-of-credits").getByText("You're out of credits").waitFor();
      },
    },
    {
      name: "toasts",
      hash: "#/chat/1",
      ready: async (p) => {
        await p.locator('[data-message-id="2"]').waitFor();
        await p.evaluate(() => (window as any).__fake.setBalance(19));
        await p.getByTestId("toast").first().waitFor();
      },
    },
    {
      name: "quick-chat",
      path: "/?window=quick",
      hash: "",
      ready: async (p) => {
        await p.evaluate((reply) => (window as any).__fake.queueReply(reply), RICH_REPLY);
        await p.getByTestId("composer-input").fill("How do lifetimes work?");
        await p.getByTestId("composer-input").press("Enter");
        await replyDone(p);
      },
    },
  ];

  for (const scheme of ["light", "dark"] as const) {
    for (const [size, viewport] of SIZES) {
      it(`screenshots every screen ${scheme} at ${size}, all text readable`, async () => {
        const problems: Record<string, string[]> = {};
        for (const screen of SCREENS) {
          const { page, context, errors } = await open({
            colorScheme: scheme, viewport, seed: screen.seed ?? HISTORY, hash: screen.hash ?? "#/", path: screen.path,
          });
          await screen.ready(page);
          expect(await theme(page), screen.name).toBe(scheme);
          // Transitions (hover details, drawers) settle before the picture.
          await page.waitForTimeout(250);
          await shot(page, `${scheme}-${screen.name}-${size}`);
          const low = await lowContrast(page);
          if (low.length) problems[screen.name] = low;
          expect(errors, screen.name).toEqual([]);
          await context.close();
        }
        expect(problems).toEqual({});
      });
    }
  }
});

describe("message details", () => {
  it("shows time, tokens and the charge on hover, and copies a whole message", async () => {
    const { page, context, errors } = await open({ hash: "#/chat/1", seed: HISTORY });
    const question = page.locator('[data-message-id="1"]');
    const reply = page.locator('[data-message-id="2"]');
    await reply.waitFor();
    const details = (m: typeof reply) => m.getByTestId("message-details");
    const shown = (m: typeof reply) => details(m).evaluate((el) => getComputedStyle(el).opacity);
    // Hidden until the message is hovered or focused.
    await page.mouse.move(0, 0);
    await expect.poll(() => shown(reply)).toBe("0");
    await reply.locator(".bubble").hover();
    await expect.poll(() => shown(reply)).toBe("1");
    // The fake core's figures: its clock, ceil(length / 4) tokens, 3 credits a send.
    const [user, answer] = await page.evaluate(() => (window as any).__fake.state.messages.slice(0, 2));
    expect(await details(reply).locator("time").getAttribute("datetime")).toBe(answer.createdAt);
    expect(await details(reply).locator("time").textContent()).toMatch(/^Nov 25, \d\d:\d\d$/);
    expect(await reply.getByTestId("message-tokens").textContent()).toBe(`${answer.tokens} tokens`);
    expect(await reply.getByTestId("message-credits").count()).toBe(0);
    expect(await question.getByTestId("message-credits").textContent()).toBe("3 credits");
    expect(await question.getByTestId("message-tokens").textContent()).toBe(`${user.tokens} tokens`);

    // Copy takes the whole message as written (the reply's markdown source).
    await reply.locator(".bubble").hover();
    await reply.getByTestId("copy-message").click();
    await expect.poll(() => reply.getByTestId("copy-message").textContent()).toContain("Copied");
    await question.locator(".bubble").hover();
    await question.getByTestId("copy-message").click();
    expect(await copied(page)).toEqual([RICH_REPLY, "How do lifetimes work in Rust?"]);
    // Keyboard users reach it too: focusing Copy shows the row.
    await page.mouse.move(0, 0);
    await question.getByTestId("copy-message").focus();
    await expect.poll(() => shown(question)).toBe("1");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("says 'Included in Pro' instead of a price while Pro is active", async () => {
    const { page, context } = await open({ hash: "#/chat/1", seed: { ...HISTORY, pro: { until: "2026-12-25T09:00:00Z" } } });
    await expect.poll(() => page.getByTestId("cost").textContent()).toBe("Included in Pro");
    // Sent before Pro: still what it cost.
    expect(await page.locator('[data-message-id="1"]').getByTestId("message-credits").textContent()).toBe("3 credits");
    await page.getByTestId("composer-input").fill("On the house?");
    await page.getByTestId("composer-input").press("Enter");
    await replyDone(page);
    const sent = page.locator('[data-testid="message"].user').last();
    await expect.poll(() => sent.getByTestId("message-credits").textContent()).toBe("Included in Pro");
    expect(await page.evaluate(() => (window as any).__fake.state.remaining)).toBe(100);
    await page.goto(`${suite.server.url}/#/`);
    await page.getByText("Starts a new chat · Included in Pro").waitFor();
    await context.close();
  });

  it("a visible Stop button ends the reply being written", async () => {
    const { page, context } = await open({ hash: "#/chat", seed: { delayMs: 60, chunk: 3 } });
    await page.getByTestId("composer-input").fill("Tell me a long story");
    await page.getByTestId("composer-input").press("Enter");
    await page.getByTestId("typing-indicator").waitFor();
    const stop = page.getByTestId("stop");
    expect(await stop.isVisible()).toBe(true);
    expect(await stop.textContent()).toContain("Esc");
    await page.waitForTimeout(300);
    await stop.click();
    await expect.poll(() => page.getByTestId("status-badge").textContent()).toBe("Stopped");
    expect((await calls(page, "stop_reply")).length).toBe(1);
    await page.getByTestId("send").waitFor();
    await context.close();
  });
});

describe("keyboard", () => {
  it("? opens the shortcuts sheet, except while typing", async () => {
    const { page, context, errors } = await open({ hash: "#/chat/1", seed: HISTORY });
    await page.locator('[data-message-id="2"]').waitFor();
    const sheet = page.getByTestId("shortcuts-sheet");
    // Typed into the message box, ? is text.
    await page.getByTestId("composer-input").click();
    await page.keyboard.type("Why?");
    expect(await page.getByTestId("composer-input").inputValue()).toBe("Why?");
    expect(await sheet.isVisible()).toBe(false);
    // Elsewhere it opens the sheet, which lists every shortcut.
    await page.locator(".chat-title").click();
    await page.keyboard.press("Shift+?");
    await sheet.getByText("Keyboard shortcuts").first().waitFor();
    const rows = await sheet.getByTestId("shortcut-row").allTextContents();
    for (const label of ["New chat", "Search all messages", "Stop the reply being written", "Copy the last reply", "Show these shortcuts"]) {
      expect(rows.some((r) => r.includes(label)), label).toBe(true);
    }
    expect(rows.find((r) => r.includes("New chat"))).toContain("Ctrl");
    await page.keyboard.press("Escape");
    await expect.poll(() => sheet.isVisible()).toBe(false);
    // Settings has a way in for those who do not know the key.
    await page.goto(`${suite.server.url}/#/settings`);
    await page.getByTestId("show-shortcuts").click();
    await sheet.getByText("Keyboard shortcuts").first().waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("Ctrl+Shift+C copies the last reply; Ctrl+N starts a new chat", async () => {
    const { page, context, errors } = await open({ hash: "#/chat/2", seed: HISTORY });
    await page.locator('[data-message-id="4"]').waitFor();
    await page.keyboard.press("Control+Shift+C");
    await expect.poll(() => copied(page)).toEqual(["Day 1: Alfama and the tram 28. Day 2: Belém and pastéis de nata."]);
    await expect.poll(() => page.getByTestId("toast").allTextContents()).toContain("Reply copied. ");
    await page.keyboard.press("Control+n");
    await expect.poll(() => page.url()).toMatch(/#\/chat$/);
    await page.getByTestId("empty-state").waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("composer-input");
    // Nothing to copy in a new chat: it says so.
    await page.keyboard.press("Control+Shift+C");
    await expect.poll(() => page.getByTestId("toast").allTextContents()).toContain("There is no reply to copy yet. ");
    expect(await copied(page)).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("quick chat", () => {
  const quickWindow = { path: "/?window=quick", hash: "" };

  it("Buy more opens Pricing in the main window", async () => {
    const { page, context, errors } = await open({ ...quickWindow, seed: { balance: 2 } });
    await page.getByTestId("credit-badge").waitFor();
    await page.getByTestId("composer-input").fill("Am I out?");
    await page.getByTestId("composer-input").press("Enter");
    const dialog = page.getByTestId("out-of-credits");
    await dialog.getByText("You're out of credits").waitFor();
    await dialog.getByRole("button", { name: "Buy more" }).click();
    // The shell shows the main window on Pricing; this one steps aside.
    await expect.poll(() => calls(page).then((c) => c.map((x) => x.cmd).filter((x) => !x.startsWith("plugin:event|")))).toContain("plugin:window|hide");
    const used = (await calls(page)).map((c) => c.cmd).filter((c) => !c.startsWith("plugin:event|"));
    expect(used.slice(-2)).toEqual(["show_main_screen", "plugin:window|hide"]);
    expect((await calls(page, "show_main_screen"))[0].args).toEqual({ screen: "pricing" });
    // Its own address is untouched: it has no router to go anywhere with.
    expect(new URL(page.url()).hash).toBe("");
    expect(errors).toEqual([]);

    // The main window, told by the shell, opens Pricing.
    const main = await openWindow(context, `${suite.server.url}/#/chat`);
    await main.page.getByTestId("composer-input").waitFor();
    await main.page.evaluate(() => (window as any).__fake.emitMainScreen("pricing"));
    await expect.poll(() => main.page.url()).toMatch(/#\/pricing$/);
    await main.page.getByTestId("product").first().waitFor();
    expect(main.errors).toEqual([]);
    await context.close();
  });

  it("a link in a reply opens through open_link, not a toast", async () => {
    const { page, context, errors } = await open(quickWindow);
    await page.getByTestId("credit-badge").waitFor();
    await page.evaluate(() => (window as any).__fake.queueReply("See [the docs](https://example.com/docs) and [this](javascript:alert(1))."));
    await page.getByTestId("composer-input").fill("Where are the docs?");
    await page.getByTestId("composer-input").press("Enter");
    await replyDone(page);
    const reply = page.locator('[data-testid="message"].assistant').last();
    await reply.getByText("the docs").click();
    await expect.poll(() => calls(page, "open_link").then((c) => c.map((x) => x.args.url))).toEqual(["https://example.com/docs"]);
    await reply.getByText("this").click();
    await page.waitForTimeout(200);
    expect((await calls(page, "open_link")).length).toBe(1);
    expect(await page.getByTestId("toast").count()).toBe(0);
    expect(page.url()).toContain(suite.server.url);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("Esc stops a reply being written, then hides the window", async () => {
    const { page, context } = await open({ ...quickWindow, seed: { delayMs: 60, chunk: 3 } });
    await page.getByTestId("credit-badge").waitFor();
    await page.getByTestId("composer-input").fill("Tell me a long story");
    await page.getByTestId("composer-input").press("Enter");
    await page.getByTestId("typing-indicator").waitFor();
    expect(await page.getByTestId("stop").isVisible()).toBe(true);
    await page.waitForTimeout(300);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.getByTestId("status-badge").textContent()).toBe("Stopped");
    expect((await calls(page, "stop_reply")).length).toBe(1);
    expect((await calls(page, "plugin:window|hide")).length).toBe(0);
    await page.keyboard.press("Escape");
    await expect.poll(() => calls(page, "plugin:window|hide").then((c) => c.length)).toBe(1);
    await context.close();
  });
});
