import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../bindings";
import { priceLabel } from "./credits";
import { lastReply, messageCharge, messageTime, messageTimeFull, messageTokens } from "./messageDetails";

const msg = (over: Partial<ChatMessage>): ChatMessage => ({
  id: 1, sessionId: 1, role: "user", content: "hi", tokens: null, creditsUsed: 0, status: "complete", error: null,
  createdAt: "2026-11-25T14:05:00Z", updatedAt: "2026-11-25T14:05:00Z", ...over,
});

describe("message details", () => {
  it("shows today's time alone and the date before", () => {
    const now = new Date("2026-11-25T20:00:00Z");
    expect(messageTime("2026-11-25T14:05:00Z", now, "UTC")).toBe("14:05");
    expect(messageTime("2026-11-24T09:30:00Z", now, "UTC")).toBe("Nov 24, 09:30");
    expect(messageTime("2025-12-31T23:59:00Z", now, "UTC")).toBe("Dec 31, 2025, 23:59");
    // The day is the viewer's: 23:30 UTC is already tomorrow in Berlin.
    expect(messageTime("2026-11-25T23:30:00Z", new Date("2026-11-26T08:00:00Z"), "Europe/Berlin")).toBe("00:30");
    expect(messageTime("not a date", now, "UTC")).toBe("");
    expect(messageTimeFull("2026-11-25T14:05:00Z", "UTC")).toBe("Nov 25, 2026, 2:05 PM");
  });

  it("shows the core's token count", () => {
    expect(messageTokens(msg({ tokens: null }))).toBe(null);
    expect(messageTokens(msg({ tokens: 1 }))).toBe("1 token");
    expect(messageTokens(msg({ tokens: 1234 }))).toBe("1,234 tokens");
    expect(messageTokens(msg({ tokens: 0 }))).toBe("0 tokens");
  });

  it("shows what the send was charged, on the user's message", () => {
    expect(messageCharge(msg({ creditsUsed: 3 }), false)).toBe("3 credits");
    expect(messageCharge(msg({ creditsUsed: 1 }), false)).toBe("1 credit");
    // Charged before Pro: still what it cost.
    expect(messageCharge(msg({ creditsUsed: 3 }), true)).toBe("3 credits");
    expect(messageCharge(msg({ creditsUsed: 0 }), true)).toBe("Included in Pro");
    expect(messageCharge(msg({ creditsUsed: 0 }), false)).toBe("No charge");
    // A reply is paid by its question; an unsaved message has no charge yet.
    expect(messageCharge(msg({ role: "assistant", creditsUsed: 0 }), false)).toBe(null);
    expect(messageCharge(msg({ id: -1, creditsUsed: 0 }), true)).toBe(null);
  });

  it("prices actions as included while Pro is active", () => {
    expect(priceLabel(3, { pro: false })).toBe("3 credits");
    expect(priceLabel(null, null)).toBe("… credits");
    expect(priceLabel(15, { pro: true })).toBe("Included in Pro");
  });

  it("finds the last finished reply with text", () => {
    const user = msg({ id: 1 });
    const done = msg({ id: 2, role: "assistant", content: "answer" });
    const empty = msg({ id: 4, role: "assistant", content: "", status: "error" });
    const streaming = msg({ id: 6, role: "assistant", content: "part", status: "streaming" });
    expect(lastReply([])).toBe(null);
    expect(lastReply([user])).toBe(null);
    expect(lastReply([user, done, msg({ id: 3 }), empty])).toBe(done);
    expect(lastReply([user, done, msg({ id: 5 }), streaming])).toBe(done);
    const stopped = msg({ id: 7, role: "assistant", content: "cut", status: "stopped" });
    expect(lastReply([user, done, stopped])).toBe(stopped);
  });
});
