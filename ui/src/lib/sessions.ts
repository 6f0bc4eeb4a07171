// Pure list operations behind the session sidebar.
import type { ChatSession } from "../bindings";

export function sessionTitle(session: Pick<ChatSession, "title" | "displayId">): string {
  return session.title?.trim() || `New chat ${session.displayId}`;
}

/** Inserts or replaces a session, keeping most recently active first. */
export function upsertSession(list: ChatSession[], session: ChatSession): ChatSession[] {
  const rest = list.filter((s) => s.id !== session.id);
  const at = rest.findIndex((s) => s.updatedAt <= session.updatedAt);
  if (at === -1) return [...rest, session];
  return [...rest.slice(0, at), session, ...rest.slice(at)];
}

export function removeSession(list: ChatSession[], id: number): ChatSession[] {
  return list.filter((s) => s.id !== id);
}

/** Appends a page, skipping sessions already listed (a send may have moved one). */
export function appendPage(list: ChatSession[], page: ChatSession[]): ChatSession[] {
  const seen = new Set(list.map((s) => s.id));
  return [...list, ...page.filter((s) => !seen.has(s.id))];
}

export function filterSessions(list: ChatSession[], query: string): ChatSession[] {
  const q = query.trim().toLowerCase();
  if (!q) return list;
  return list.filter((s) => sessionTitle(s).toLowerCase().includes(q) || s.displayId.toLowerCase().includes(q));
}
