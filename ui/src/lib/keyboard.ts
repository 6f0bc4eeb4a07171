// App-wide shortcuts; Cmd on macOS, Ctrl elsewhere. `SHORTCUTS` is what the
// shortcuts sheet lists, so a new shortcut is added here and shows up there.
export type ShortcutAction = "new-chat" | "search" | "stop" | "copy-last-reply" | "shortcuts";

type Keys = Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey"> & { target?: EventTarget | null };

export function isMac(platform: string = typeof navigator === "undefined" ? "" : navigator.platform): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

/** True when keys typed into `target` are text (an input, a text box, an editable element). */
export function isTyping(target: EventTarget | null | undefined): boolean {
  if (!target || typeof (target as Element).closest !== "function") return false;
  const element = target as HTMLElement;
  if (element.isContentEditable) return true;
  const field = element.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])");
  if (!field) return false;
  // Checkboxes, radios and buttons take no text.
  return !(field instanceof HTMLInputElement) || !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(field.type);
}

export function shortcutFor(e: Keys, mac = isMac()): ShortcutAction | null {
  const mod = mac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && !e.altKey && !e.shiftKey) {
    if (key === "n") return "new-chat";
    if (key === "k") return "search";
  }
  if (mod && !e.altKey && e.shiftKey && key === "c") return "copy-last-reply";
  if (e.key === "Escape" && !e.ctrlKey && !e.metaKey && !e.altKey) return "stop";
  // "?" is Shift+/ on most layouts: Shift is allowed, other modifiers are not.
  if (e.key === "?" && !e.ctrlKey && !e.metaKey && !e.altKey && !isTyping(e.target)) return "shortcuts";
  return null;
}

export type ShortcutEntry = {
  /** The keys, each shown as one key cap; "Mod" is Ctrl or ⌘. */
  keys: string[];
  label: string;
};

/** The shortcuts sheet's rows, in its order. */
export const SHORTCUTS: readonly ShortcutEntry[] = [
  { keys: ["Mod", "N"], label: "New chat" },
  { keys: ["Mod", "K"], label: "Search all messages" },
  { keys: ["Esc"], label: "Stop the reply being written" },
  { keys: ["Mod", "Shift", "C"], label: "Copy the last reply" },
  { keys: ["Enter"], label: "Send the message" },
  { keys: ["Shift", "Enter"], label: "New line in the message" },
  { keys: ["↑"], label: "Edit your last message (in an empty message box)" },
  { keys: ["?"], label: "Show these shortcuts" },
];

/** A key cap as this platform names it. */
export function keyCap(key: string, mac = isMac()): string {
  if (key === "Mod") return mac ? "⌘" : "Ctrl";
  if (key === "Shift" && mac) return "⇧";
  return key;
}
