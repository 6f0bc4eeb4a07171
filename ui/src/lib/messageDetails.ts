// A message's details row: when it was written, its tokens and what it was
// charged. Every figure is the core's, from the message itself (`createdAt`,
// `tokens`, `creditsUsed`) and the balance's Pro flag; nothing is computed.
import type { ChatMessage } from "../bindings";
import { effortLabel } from "./chatSettings";

/** "14:05" for today, "Nov 24, 14:05" before (`timeZone` for tests; the viewer's otherwise). */
export function messageTime(iso: string, now: Date = new Date(), timeZone?: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const day = (d: Date) => d.toLocaleDateString("en-CA", { timeZone });
  const time = at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone });
  if (day(at) === day(now)) return time;
  const sameYear = at.toLocaleDateString("en-US", { year: "numeric", timeZone }) === now.toLocaleDateString("en-US", { year: "numeric", timeZone });
  const date = at.toLocaleDateString("en-US", { month: "short", day: "numeric", year: sameYear ? undefined : "numeric", timeZone });
  return `${date}, ${time}`;
}

/** The full date and time, for the tooltip. */
export function messageTimeFull(iso: string, timeZone?: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  return at.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short", timeZone });
}

/** "1 token", "412 tokens"; null when the core has no count (yet). */
export function messageTokens(message: Pick<ChatMessage, "tokens">): string | null {
  const n = message.tokens;
  if (n === null || n === undefined) return null;
  return `${n.toLocaleString("en-US")} ${n === 1 ? "token" : "tokens"}`;
}

/**
 * What sending this message was charged, on the user's message (a reply is
 * paid for by the question it answers): "3 credits"; nothing charged shows
 * "Included in Pro" while Pro is active, else "No charge" (a send refunded
 * because no reply came, or one made under Pro). Null for replies and for a
 * message the core has not saved yet.
 */
export function messageCharge(message: Pick<ChatMessage, "id" | "role" | "creditsUsed">, pro: boolean): string | null {
  if (message.role !== "user" || message.id < 0) return null;
  const n = message.creditsUsed;
  if (n > 0) return `${n.toLocaleString("en-US")} ${n === 1 ? "credit" : "credits"}`;
  return pro ? "Included in Pro" : "No charge";
}

/** Who wrote a reply and with which effort: "o3-mini · High effort"; null when the core did not record it. */
export function messageModel(message: Pick<ChatMessage, "role" | "model" | "reasoningEffort">): string | null {
  if (message.role !== "assistant" || !message.model) return null;
  return message.reasoningEffort ? `${message.model} · ${effortLabel(message.reasoningEffort)} effort` : message.model;
}

/** The last finished reply with text (Ctrl/Cmd+Shift+C copies it); one still being written is passed over. */
export function lastReply(messages: readonly ChatMessage[]): ChatMessage | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === "assistant" && m.content && m.status !== "streaming") return m;
  }
  return null;
}
