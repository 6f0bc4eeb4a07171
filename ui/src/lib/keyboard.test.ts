import { describe, expect, it } from "vitest";
import { shortcutFor } from "./keyboard";

describe("shortcuts", () => {
  const key = (k: string, mods: Partial<KeyboardEvent> = {}) =>
    ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods }) as KeyboardEvent;

  it("maps Ctrl on Linux and Cmd on macOS", () => {
    expect(shortcutFor(key("k", { ctrlKey: true }), false)).toBe("search");
    expect(shortcutFor(key("N", { ctrlKey: true }), false)).toBe("new-chat");
    expect(shortcutFor(key("k", { metaKey: true }), false)).toBe(null);
    expect(shortcutFor(key("k", { metaKey: true }), true)).toBe("search");
    expect(shortcutFor(key("Escape"), false)).toBe("stop");
    expect(shortcutFor(key("n"), false)).toBe(null);
  });
});
