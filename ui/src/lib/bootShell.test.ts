/// <reference types="node" />
// public/shell-boot.js decides, before any of the app's code runs, whether
// index.html's static shell shows and with the dashboard or not. It must
// agree with the app's own rules: the window (`isQuickWindow`, App.svelte's)
// and the first screen (`parseRoute`).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isQuickWindow, parseRoute } from "./route";

const BOOT_SCRIPT = readFileSync(join(import.meta.dirname, "../../public/shell-boot.js"), "utf8");

/** Runs public/shell-boot.js on a page at `search` and `hash`; returns what it set on <html>. */
function boot(search: string, hash: string): string | undefined {
  const attributes: Record<string, string> = {};
  const window = { location: { search, hash } };
  const document = { documentElement: { setAttribute: (name: string, value: string) => (attributes[name] = value) } };
  new Function("window", "document", BOOT_SCRIPT)(window, document);
  return attributes["data-boot"];
}

const SEARCHES = ["", "?window=quick", "?window=main", "?x=1&window=quick", "?window=quickly", "?window="];
const HASHES = ["", "#", "#/", "#//", "#/?m=2", "#/chat", "#/chat/12?m=3", "#/settings", "#/projects/4", "#/nowhere", "#/credits/"];

describe("shell-boot.js", () => {
  it("agrees with the app on the window and on whether it opens on the dashboard", () => {
    for (const search of SEARCHES) {
      for (const hash of HASHES) {
        const expected = isQuickWindow(search) ? "quick" : parseRoute(hash).name === "dashboard" ? "dashboard" : "screen";
        expect(boot(search, hash), `${search}${hash}`).toBe(expected);
      }
    }
  });

  it("tells each kind apart", () => {
    expect(boot("?window=quick", "")).toBe("quick");
    expect(boot("", "")).toBe("dashboard");
    expect(boot("", "#/settings")).toBe("screen");
  });
});
