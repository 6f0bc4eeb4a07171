import { describe, expect, it } from "vitest";
import type { ChatSession } from "../bindings";
import { appendPage, filterSessions, removeSession, sessionTitle, upsertSession } from "./sessions";

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
