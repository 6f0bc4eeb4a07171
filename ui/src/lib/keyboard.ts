// App-wide shortcuts; Cmd on macOS, Ctrl elsewhere.
export type ShortcutAction = "new-chat" | "search" | "stop";

type Keys = Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">;

export function isMac(platform: string = typeof navigator === "undefined" ? "" : navigator.platform): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

export function shortcutFor(e: Keys, mac = isMac()): ShortcutAction | null {
  const mod = mac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
  if (mod && !e.altKey && !e.shiftKey) {
    const key = e.key.toLowerCase();
    if (key === "n") return "new-chat";
    if (key === "k") return "search";
  }
  if (e.key === "Escape" && !e.ctrlKey && !e.metaKey && !e.altKey) return "stop";
  return null;
}
