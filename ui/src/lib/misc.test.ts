import { describe, expect, it } from "vitest";
import type { ChatSession } from "../bindings";
import { shortcutFor } from "./keyboard";
import { isOpenableLink } from "./links";
import { chatHref, parseRoute, projectHref } from "./route";
import { appendPage, filterSessions, removeSession, sessionTitle, upsertSession } from "./sessions";
import { snippetParts } from "./snippet";

const session = (id: number, updatedAt: string, title: string | null = `S${id}`): ChatSession => ({
  id, displayId: `CH-${String(id).padStart(6, "0")}`, title, createdAt: updatedAt, updatedAt, messageCount: 2,
});

describe("session list", () => {
  const list = [session(3, "2026-11-25T10:00:00Z"), session(2, "2026-11-24T10:00:00Z"), session(1, "2026-11-20T10:00:00Z")];

  it("moves an updated session to the top", () => {
    const out = upsertSession(list, session(1, "2026-11-25T11:00:00Z", "renamed"));
    expect(out.map((s) => s.id)).toEqual([1, 3, 2]);
    expect(out[0].title).toBe("renamed");
  });

  it("inserts a new session in order and removes one", () => {
    expect(upsertSession(list, session(4, "2026-11-22T00:00:00Z")).map((s) => s.id)).toEqual([3, 2, 4, 1]);
    expect(removeSession(list, 2).map((s) => s.id)).toEqual([3, 1]);
  });

  it("appends pages without duplicates", () => {
    expect(appendPage(list.slice(0, 2), [session(2, "x"), session(1, "y")]).map((s) => s.id)).toEqual([3, 2, 1]);
  });

  it("filters by title or display id and names untitled sessions", () => {
    const titled = [session(1, "a", "Rust lifetimes"), session(2, "b", null)];
    expect(filterSessions(titled, "rust").map((s) => s.id)).toEqual([1]);
    expect(filterSessions(titled, "ch-000002").map((s) => s.id)).toEqual([2]);
    expect(filterSessions(titled, "  ")).toBe(titled);
    expect(sessionTitle(titled[1])).toBe("New chat CH-000002");
  });
});

describe("search snippets", () => {
  it("splits marked matches into parts", () => {
    expect(snippetParts("a \u0002rust\u0003 b \u0002async\u0003")).toEqual([
      { text: "a ", match: false },
      { text: "rust", match: true },
      { text: " b ", match: false },
      { text: "async", match: true },
    ]);
  });

  it("treats markup as plain text", () => {
    expect(snippetParts("<img src=x onerror=alert(1)>")).toEqual([{ text: "<img src=x onerror=alert(1)>", match: false }]);
  });
});

describe("routes", () => {
  it("parses hash routes", () => {
    expect(parseRoute("")).toEqual({ name: "dashboard" });
    expect(parseRoute("#/")).toEqual({ name: "dashboard" });
    expect(parseRoute("#/chat")).toEqual({ name: "chat", sessionId: null, messageId: null });
    expect(parseRoute("#/chat/12?m=40")).toEqual({ name: "chat", sessionId: 12, messageId: 40 });
    expect(parseRoute("#/credits")).toEqual({ name: "credits" });
    expect(parseRoute("#/chat/abc").name).toBe("not-found");
    expect(parseRoute("#/nope").name).toBe("not-found");
    expect(chatHref(5, 9)).toBe("#/chat/5?m=9");
    expect(parseRoute("#/projects")).toEqual({ name: "projects" });
    expect(parseRoute("#/projects/7")).toEqual({ name: "project", projectId: 7 });
    expect(parseRoute("#/projects/x").name).toBe("not-found");
    expect(parseRoute("#/projects/7/extra").name).toBe("not-found");
    expect(projectHref(7)).toBe("#/projects/7");
  });
});

describe("shortcuts and links", () => {
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

  it("opens only http, https and mailto links", () => {
    expect(isOpenableLink("https://example.com")).toBe(true);
    expect(isOpenableLink("mailto:a@b.c")).toBe(true);
    expect(isOpenableLink("javascript:alert(1)")).toBe(false);
    expect(isOpenableLink(" JavaScript:alert(1)")).toBe(false);
    expect(isOpenableLink("data:text/html,x")).toBe(false);
    expect(isOpenableLink("file:///etc/passwd")).toBe(false);
    expect(isOpenableLink("/relative")).toBe(false);
    expect(isOpenableLink(null)).toBe(false);
  });
});
