/// <reference types="node" />
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { resolveTheme, parseThemePreference, THEME_CACHE_KEY, THEME_PREFERENCES, type ThemePreference } from "./theme";
import { ThemeController, type ThemeHost } from "./theme.svelte";

const BOOT_SCRIPT = readFileSync(join(import.meta.dirname, "../../public/theme-boot.js"), "utf8");

/**
 * Runs public/theme-boot.js against a page with `cached` in web storage
 * (or storage that refuses) and the system light or dark; returns the
 * theme it set on <html>.
 */
function boot(cached: string | null, systemDark: boolean, storageThrows = false): string | undefined {
  const attributes: Record<string, string> = {};
  const storage = { getItem: (key: string) => (key === THEME_CACHE_KEY ? cached : null) };
  const window = {
    matchMedia: (query: string) => ({ matches: query === "(prefers-color-scheme: dark)" && systemDark }),
    get localStorage() {
      if (storageThrows) throw new Error("SecurityError");
      return storage;
    },
  };
  const document = { documentElement: { setAttribute: (name: string, value: string) => (attributes[name] = value) } };
  new Function("window", "document", BOOT_SCRIPT)(window, document);
  return attributes["data-theme"];
}

/** A page stand-in: a root element, web storage, the media query and storage events. */
function fakeHost(cached: string | null = null, systemDark = false) {
  const stored = new Map<string, string>(cached === null ? [] : [[THEME_CACHE_KEY, cached]]);
  const media = new Set<(e: MediaQueryListEvent) => void>();
  const storageListeners = new Set<(e: StorageEvent) => void>();
  const mq = {
    matches: systemDark,
    addEventListener: (_: string, l: (e: MediaQueryListEvent) => void) => media.add(l),
    removeEventListener: (_: string, l: (e: MediaQueryListEvent) => void) => media.delete(l),
  };
  const host: ThemeHost = {
    root: { dataset: {} } as HTMLElement,
    storage: { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => void stored.set(k, v) },
    matchMedia: () => mq as unknown as MediaQueryList,
    addEventListener: (_, l) => storageListeners.add(l),
    removeEventListener: (_, l) => storageListeners.delete(l),
  };
  return {
    host,
    stored,
    theme: () => host.root.dataset.theme,
    /** The OS switches light/dark. */
    system: (dark: boolean) => media.forEach((l) => l({ matches: dark } as MediaQueryListEvent)),
    /** Another window changed the mirrored choice. */
    otherWindow: (key: string, value: string | null) => storageListeners.forEach((l) => l({ key, newValue: value } as StorageEvent)),
    listeners: () => media.size + storageListeners.size,
  };
}

describe("the theme rule", () => {
  it("follows the system unless the user chose", () => {
    expect(resolveTheme("system", false)).toBe("light");
    expect(resolveTheme("system", true)).toBe("dark");
    expect(resolveTheme("light", true)).toBe("light");
    expect(resolveTheme("dark", false)).toBe("dark");
  });

  it("reads anything unknown as system", () => {
    expect(parseThemePreference("dark")).toBe("dark");
    for (const odd of [null, undefined, "", "Dark", "purple", 1, true]) expect(parseThemePreference(odd)).toBe("system");
  });

  it("is the one the first-paint script applies, for every stored value", () => {
    for (const cached of [null, ...THEME_PREFERENCES, "purple", ""]) {
      for (const systemDark of [false, true]) {
        expect(boot(cached, systemDark), `${cached} / system dark: ${systemDark}`).toBe(
          resolveTheme(parseThemePreference(cached), systemDark),
        );
      }
    }
  });

  it("paints by the system when web storage is refused", () => {
    expect(boot("light", true, true)).toBe("dark");
    expect(boot("dark", false, true)).toBe("light");
  });
});

describe("the theme controller", () => {
  it("starts from the mirrored choice and the system", () => {
    const page = fakeHost("dark", false);
    new ThemeController(page.host).start();
    expect(page.theme()).toBe("dark");

    const fresh = fakeHost(null, true);
    const controller = new ThemeController(fresh.host);
    controller.start();
    expect(controller.preference).toBe("system");
    expect(fresh.theme()).toBe("dark");
  });

  it("follows the system live only while on System", () => {
    const page = fakeHost(null, false);
    const controller = new ThemeController(page.host);
    const stop = controller.start();
    expect(page.theme()).toBe("light");
    page.system(true);
    expect(page.theme()).toBe("dark");
    controller.choose("light", () => {});
    page.system(true);
    expect(page.theme()).toBe("light");
    stop();
    expect(page.listeners()).toBe(0);
  });

  it("saves a choice with the preferences and mirrors it for the next start", () => {
    const page = fakeHost(null, false);
    const controller = new ThemeController(page.host);
    controller.start();
    const save = vi.fn();
    controller.choose("dark", save);
    expect(save).toHaveBeenCalledWith("dark");
    expect(page.theme()).toBe("dark");
    expect(page.stored.get(THEME_CACHE_KEY)).toBe("dark");
    // The saved preference wins over a stale mirror (read after the file loads).
    controller.adopt("system");
    expect(page.stored.get(THEME_CACHE_KEY)).toBe("system");
    expect(page.theme()).toBe("light");
  });

  it("follows a choice made in the other window", () => {
    const page = fakeHost(null, true);
    const controller = new ThemeController(page.host);
    controller.start();
    const choices: [string, string | null, ThemePreference, string][] = [
      [THEME_CACHE_KEY, "light", "light", "light"],
      ["unrelated", "dark", "light", "light"],
      [THEME_CACHE_KEY, "nonsense", "system", "dark"],
      [THEME_CACHE_KEY, null, "system", "dark"],
    ];
    for (const [key, value, preference, shown] of choices) {
      page.otherWindow(key, value);
      expect(controller.preference).toBe(preference);
      expect(page.theme()).toBe(shown);
    }
  });

  it("still applies a choice when storage cannot be written", () => {
    const page = fakeHost(null, false);
    page.host.storage = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
    };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const controller = new ThemeController(page.host);
    controller.start();
    controller.choose("dark", () => {});
    expect(page.theme()).toBe("dark");
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});
