// index.html's static shell (#boot-shell): what the main window paints
// before any of the app's code has loaded. It must sit exactly where the
// real shell then draws the same things, at every width the app's media
// queries tell apart, so the swap moves nothing; it must never show in the
// quick-chat window, and must give way to the error when the window's code
// cannot load. The built UI in Chromium against the fake core.
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { screenshotDir } from "./harness.mjs";
import { browserSuite } from "./suite";

const suite = browserSuite();

/** Widths on each side of the app's breakpoints (640 and 900 px). */
const WIDTHS = [1280, 800, 390] as const;

/** Holds every request for a chunk named `chunk` unanswered, so the page stays as it was before that code. */
const holding = (chunk: string) => async (context: BrowserContext) => {
  await context.route(`**/assets/${chunk}-*.js`, () => {});
};

type Box = { x: number; y: number; width: number; height: number } | null;

/** Each element's box (null when not drawn), and its text, under the same names for both shells. */
async function layout(page: Page, selectors: Record<string, string>): Promise<Record<string, { box: Box; text: string }[]>> {
  const out: Record<string, { box: Box; text: string }[]> = {};
  for (const [name, selector] of Object.entries(selectors)) {
    const found = page.locator(selector);
    const items = [];
    for (let i = 0; i < (await found.count()); i++) {
      const element = found.nth(i);
      const box = (await element.isVisible()) ? await element.boundingBox() : null;
      items.push({ box, text: (await element.innerText()).replace(/\s+/g, " ").trim() });
    }
    out[name] = items;
  }
  return out;
}

const STATIC = {
  navbar: "#boot-shell header.navbar",
  toggle: "#boot-shell .boot-nav-toggle",
  brand: "#boot-shell .brand",
  nav: "#boot-shell .boot-nav-item",
  heading: "#boot-shell .boot-dashboard h1",
  quickTitle: "#boot-shell .boot-quick h2",
  input: "#boot-shell .boot-field",
  start: "#boot-shell .boot-start",
  price: "#boot-shell .boot-quick p.small",
  subheadings: "#boot-shell .boot-quick h3",
};
const REAL = {
  navbar: "#app header.navbar",
  toggle: "#app [data-testid=nav-toggle]",
  brand: "#app .brand",
  nav: "#app nav[aria-label=Main] .nav-item",
  heading: "#app .dashboard h1",
  quickTitle: "#app #quick-title",
  input: "#app [data-testid=quick-input]",
  start: "#app .quick-form button[type=submit]",
  price: "#app .quick p.small",
  subheadings: "#app .quick h3",
};

/** What carries the same words in both (the navbar's badge has a number only in the real one). */
const LABELLED = new Set(["brand", "nav", "heading", "quickTitle", "start", "subheadings"]);

/** Boxes equal to within a pixel (fonts round differently across elements). */
function expectSameBox(actual: Box, expected: Box, what: string) {
  if (expected === null || actual === null) {
    expect(actual, what).toBe(expected);
    return;
  }
  for (const key of ["x", "y", "width", "height"] as const) {
    expect(Math.abs(actual[key] - expected[key]), `${what}: ${key} ${actual[key]} vs ${expected[key]}`).toBeLessThanOrEqual(1);
  }
}

describe("the static shell", () => {
  for (const width of WIDTHS) {
    it(`sits where the real shell draws the same things at ${width} px, and is gone once it has`, async () => {
      const viewport = { width, height: 800 };
      const before = await suite.open({ viewport, setup: holding("MainApp") });
      await before.page.locator("#boot-shell").waitFor();
      const drawn = await layout(before.page, STATIC);
      await before.page.screenshot({ path: join(screenshotDir, `boot-shell-${width}.png`) });
      expect(await before.page.locator("#app > *").count()).toBe(0);
      await before.context.close();

      const after = await suite.open({ viewport });
      await after.page.locator("[data-testid=quick-input]").waitFor();
      expect(await after.page.locator("#boot-shell").count()).toBe(0);
      const real = await layout(after.page, REAL);
      const placeholder = await after.page.locator(REAL.input).getAttribute("placeholder");
      expect(after.errors).toEqual([]);
      await after.context.close();

      for (const name of Object.keys(STATIC)) {
        expect(drawn[name].length, `${name} count`).toBe(real[name].length);
        expect(drawn[name].length, `${name} present`).toBeGreaterThan(0);
        drawn[name].forEach((item, i) => {
          expectSameBox(item.box, real[name][i].box, `${name}[${i}] at ${width} px`);
          // The labels are the app's own words (icons are drawn as blocks).
          if (item.box && LABELLED.has(name)) expect(item.text, `${name}[${i}] text`).toBe(real[name][i].text);
        });
      }
      expect(drawn.input[0].text).toBe(placeholder);
    });
  }

  it("shows its dashboard only where the app opens on the dashboard", async () => {
    const { page, context } = await suite.open({ hash: "#/settings", setup: holding("MainApp") });
    await page.locator("#boot-shell header.navbar").waitFor();
    expect(await page.locator("#boot-shell .boot-dashboard").isVisible()).toBe(false);
    expect(await page.locator("#boot-shell .boot-nav-item.active").evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(
      await page.locator("#boot-shell .boot-nav-item:not(.active)").first().evaluate((e) => getComputedStyle(e).backgroundColor),
    );
    await context.close();
  });

  it("never shows in the quick-chat window", async () => {
    const { page, context } = await suite.open({ path: "/?window=quick", hash: "", setup: holding("QuickApp") });
    await page.waitForLoadState("load");
    expect(await page.locator("#boot-shell").isVisible()).toBe(false);
    expect(await page.evaluate(() => document.documentElement.dataset.boot)).toBe("quick");
    await context.close();
  });

  /** Opens the main window with `setup` breaking its start; the error, not the shell, must be on screen. */
  async function expectErrorInsteadOfShell(setup: (context: BrowserContext) => Promise<void>, message: string) {
    const { page, context } = await suite.open({ setup });
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").innerText()).toContain(message);
    expect(await page.locator("#boot-shell").count()).toBe(0);
    await context.close();
  }

  it("gives way to the error when the window's code cannot load", async () => {
    await expectErrorInsteadOfShell(async (context) => {
      await context.route("**/assets/MainApp-*.js", (route) => route.abort());
    }, "could not be loaded");
  });

  it("gives way to the error when the window fails while it starts", async () => {
    // The main window's start reads the system's colour scheme (theme.start
    // in MainApp's onMount): make that throw.
    await expectErrorInsteadOfShell(async (context) => {
      await context.addInitScript(() => {
        window.matchMedia = () => {
          throw new Error("the window failed while starting");
        };
      });
    }, "the window failed while starting");
  });

  it("is painted in the real shell's colours in a dark window", async () => {
    /** The root, then the background, text and border colours of each part named in `parts`. */
    const palette = (page: Page, parts: Record<string, string>) =>
      page.evaluate((selectors) => {
        const colours = (e: Element | null) => {
          const style = e ? getComputedStyle(e) : null;
          return style ? [style.backgroundColor, style.color, style.borderTopColor] : null;
        };
        const out: Record<string, (string | null)[] | null> = { page: colours(document.documentElement) };
        for (const [name, selector] of Object.entries(selectors)) out[name] = colours(document.querySelector(selector));
        return out;
      }, parts);
    const before = await suite.open({ colorScheme: "dark", setup: holding("MainApp") });
    await before.page.locator("#boot-shell").waitFor();
    await before.page.screenshot({ path: join(screenshotDir, "boot-shell-1280-dark.png") });
    const drawn = await palette(before.page, {
      navbar: STATIC.navbar, nav: "#boot-shell .boot-nav", active: "#boot-shell .boot-nav-item.active",
      card: "#boot-shell .boot-quick", input: STATIC.input,
    });
    await before.context.close();
    const after = await suite.open({ colorScheme: "dark" });
    await after.page.locator(REAL.input).waitFor();
    const real = await palette(after.page, {
      navbar: REAL.navbar, nav: "#app nav[aria-label=Main]", active: "#app nav[aria-label=Main] .nav-item.active",
      card: "#app .quick", input: REAL.input,
    });
    await after.context.close();
    expect(drawn.page?.[0]).toBe("rgb(13, 17, 23)");
    // The input's text colour differs by design: the shell draws the placeholder.
    const withoutText = (input: (string | null)[] | null) => input?.filter((_, i) => i !== 1);
    expect({ ...drawn, input: withoutText(drawn.input) }).toEqual({ ...real, input: withoutText(real.input) });
  });
});
