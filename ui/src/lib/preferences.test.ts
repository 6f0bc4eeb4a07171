import { describe, expect, it, vi } from "vitest";
import { PREFERENCE_DEFAULTS, PreferencesStore, type KeyValueStore } from "./preferences.svelte";

/** An in-memory stand-in for the plugin's store file. */
function memory(initial: Record<string, unknown> = {}): KeyValueStore & { data: Map<string, unknown> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    get: async (key) => data.get(key),
    set: async (key, value) => void data.set(key, value),
  };
}

describe("preferences", () => {
  it("starts from the defaults when nothing is saved", async () => {
    const prefs = new PreferencesStore(memory());
    await prefs.load();
    expect(prefs.values).toEqual(PREFERENCE_DEFAULTS);
    expect(prefs.get("includeContext")).toBe(false);
  });

  it("saves a change and reads it back in a new window", async () => {
    const file = memory();
    const first = new PreferencesStore(file);
    first.set("includeContext", true);
    expect(first.get("includeContext")).toBe(true);
    await vi.waitFor(() => expect(file.data.get("includeContext")).toBe(true));

    const reopened = new PreferencesStore(file);
    await reopened.load();
    expect(reopened.get("includeContext")).toBe(true);
  });

  it("keeps the default for a value of the wrong type", async () => {
    const prefs = new PreferencesStore(memory({ includeContext: "yes" }));
    await prefs.load();
    expect(prefs.get("includeContext")).toBe(false);
  });

  it("keeps the theme's default for a value it does not know", async () => {
    const prefs = new PreferencesStore(memory({ theme: "purple" }));
    await prefs.load();
    expect(prefs.get("theme")).toBe("system");
    const saved = new PreferencesStore(memory({ theme: "dark" }));
    await saved.load();
    expect(saved.get("theme")).toBe("dark");
  });

  it("keeps working when the store cannot be read or written", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const broken: KeyValueStore = {
      get: () => Promise.reject(new Error("no file")),
      set: () => Promise.reject(new Error("read-only")),
    };
    const prefs = new PreferencesStore(broken);
    await prefs.load();
    prefs.set("includeContext", true);
    expect(prefs.get("includeContext")).toBe(true);
    // One warning per key that could not be read, one for the failed save.
    await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(Object.keys(PREFERENCE_DEFAULTS).length + 1));
    warn.mockRestore();
  });
});
