// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { isTyping, keyCap, shortcutFor, SHORTCUTS } from "./keyboard";

const key = (k: string, mods: Partial<KeyboardEvent> = {}) =>
  ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, target: document.body, ...mods }) as KeyboardEvent;

function element(html: string): HTMLElement {
  document.body.innerHTML = html;
  return document.body.querySelector("[data-target]") as HTMLElement;
}

describe("shortcuts", () => {
  it("maps Ctrl on Linux and Cmd on macOS", () => {
    expect(shortcutFor(key("k", { ctrlKey: true }), false)).toBe("search");
    expect(shortcutFor(key("N", { ctrlKey: true }), false)).toBe("new-chat");
    expect(shortcutFor(key("k", { metaKey: true }), false)).toBe(null);
    expect(shortcutFor(key("k", { metaKey: true }), true)).toBe("search");
    expect(shortcutFor(key("n", { metaKey: true }), true)).toBe("new-chat");
    expect(shortcutFor(key("n", { ctrlKey: true }), true)).toBe(null);
    expect(shortcutFor(key("Escape"), false)).toBe("stop");
    expect(shortcutFor(key("n"), false)).toBe(null);
  });

  it("copies the last reply with Ctrl/Cmd+Shift+C only", () => {
    // With Shift held, the key arrives upper-case.
    expect(shortcutFor(key("C", { ctrlKey: true, shiftKey: true }), false)).toBe("copy-last-reply");
    expect(shortcutFor(key("c", { metaKey: true, shiftKey: true }), true)).toBe("copy-last-reply");
    // Plain copy stays the browser's.
    expect(shortcutFor(key("c", { ctrlKey: true }), false)).toBe(null);
    expect(shortcutFor(key("C", { ctrlKey: true, shiftKey: true, altKey: true }), false)).toBe(null);
    expect(shortcutFor(key("C", { shiftKey: true }), false)).toBe(null);
    // Ctrl+Shift+N or K is not New chat or Search.
    expect(shortcutFor(key("N", { ctrlKey: true, shiftKey: true }), false)).toBe(null);
  });

  it("does not take Escape with a modifier", () => {
    expect(shortcutFor(key("Escape", { ctrlKey: true }), false)).toBe(null);
    expect(shortcutFor(key("Escape", { altKey: true }), false)).toBe(null);
  });

  it("opens the sheet with ? unless the keys are typed into a field", () => {
    expect(shortcutFor(key("?", { shiftKey: true }), false)).toBe("shortcuts");
    expect(shortcutFor(key("?", { ctrlKey: true, shiftKey: true }), false)).toBe(null);
    expect(shortcutFor(key("/"), false)).toBe(null);
    for (const html of [
      "<textarea data-target></textarea>",
      '<input data-target type="text">',
      '<input data-target type="search">',
      "<select data-target><option>a</option></select>",
      '<div contenteditable="true"><p data-target>text</p></div>',
    ]) {
      expect(shortcutFor(key("?", { shiftKey: true, target: element(html) }), false), html).toBe(null);
    }
    for (const html of ['<button data-target>Send</button>', '<input data-target type="checkbox">', '<a data-target href="#/">home</a>']) {
      expect(shortcutFor(key("?", { shiftKey: true, target: element(html) }), false), html).toBe("shortcuts");
    }
  });

  it("tells typing targets apart", () => {
    expect(isTyping(null)).toBe(false);
    expect(isTyping(window)).toBe(false);
    expect(isTyping(element('<input data-target type="radio">'))).toBe(false);
    expect(isTyping(element('<input data-target type="password">'))).toBe(true);
    expect(isTyping(element('<div contenteditable="false"><span data-target>x</span></div>'))).toBe(false);
  });

  it("lists every shortcut in the sheet, named for the platform", () => {
    const labels = SHORTCUTS.map((s) => s.label);
    expect(labels).toEqual(expect.arrayContaining(["New chat", "Search all messages", "Stop the reply being written", "Copy the last reply", "Show these shortcuts"]));
    // Every action shortcutFor knows has a row in the sheet.
    const rows: [string[], Partial<KeyboardEvent>][] = [
      [["Mod", "N"], { key: "n", ctrlKey: true }],
      [["Mod", "K"], { key: "k", ctrlKey: true }],
      [["Esc"], { key: "Escape" }],
      [["Mod", "Shift", "C"], { key: "C", ctrlKey: true, shiftKey: true }],
      [["?"], { key: "?", shiftKey: true }],
    ];
    for (const [keys, event] of rows) {
      expect(SHORTCUTS.some((s) => s.keys.join("+") === keys.join("+"))).toBe(true);
      expect(shortcutFor(key(event.key!, event), false)).not.toBe(null);
    }
    expect(keyCap("Mod", false)).toBe("Ctrl");
    expect(keyCap("Mod", true)).toBe("⌘");
    expect(keyCap("Shift", true)).toBe("⇧");
    expect(keyCap("Esc", true)).toBe("Esc");
  });
});
