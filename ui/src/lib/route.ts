// Hash routes: the page is a file inside the app bundle, so history-API
// routing has no server to fall back on.
import type { MainScreen } from "../bindings";

export type Route =
  | { name: "dashboard" }
  | { name: "chat"; sessionId: number | null; messageId: number | null }
  | { name: "credits" }
  | { name: "settings" }
  | { name: "projects" }
  | { name: "project"; projectId: number }
  | { name: "pricing" }
  | { name: "not-found"; path: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?", 2);
  const parts = path.split("/").filter(Boolean);
  const params = new URLSearchParams(query);
  const id = (s: string | null | undefined) => (s && /^\d+$/.test(s) ? Number(s) : null);
  switch (parts[0]) {
    case undefined:
      return { name: "dashboard" };
    case "chat":
      if (parts.length > 2 || (parts[1] !== undefined && id(parts[1]) === null)) break;
      return { name: "chat", sessionId: id(parts[1]), messageId: id(params.get("m")) };
    case "projects":
      if (parts.length === 2 && id(parts[1]) !== null) return { name: "project", projectId: id(parts[1])! };
      if (parts.length === 1) return { name: "projects" };
      break;
    case "credits":
    case "settings":
    case "pricing":
      if (parts.length === 1) return { name: parts[0] };
      break;
  }
  return { name: "not-found", path };
}

export function chatHref(sessionId: number | null, messageId?: number): string {
  if (sessionId === null) return "#/chat";
  return messageId === undefined ? `#/chat/${sessionId}` : `#/chat/${sessionId}?m=${messageId}`;
}

/** Where a screen another window asked for (`show_main_screen`) lives. */
export const MAIN_SCREEN_HREF: Record<MainScreen, string> = { pricing: "#/pricing" };

export function projectHref(projectId: number): string {
  return `#/projects/${projectId}`;
}

/**
 * The screen a route is on, as the hash to reopen it with: the section only
 * (a conversation or project may be gone by the next start). `null` for a
 * page that does not exist.
 */
export function screenHref(route: Route): string | null {
  switch (route.name) {
    case "dashboard":
      return "#/";
    case "chat":
      return "#/chat";
    case "project":
    case "projects":
      return "#/projects";
    case "credits":
    case "settings":
    case "pricing":
      return `#/${route.name}`;
    case "not-found":
      return null;
  }
}

/**
 * Whether the page is the quick-chat window, which src-tauri/src/windows.rs
 * opens on this page with `?window=quick` (`search` is `location.search`).
 */
export function isQuickWindow(search: string): boolean {
  return new URLSearchParams(search).get("window") === "quick";
}
