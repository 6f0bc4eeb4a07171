import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage, SendResult } from "../bindings";

// The IPC layer is replaced: the store is tested against a scripted core.
const mock = vi.hoisted(() => ({
  listMessages: vi.fn(),
  sendMessage: vi.fn(),
  regenerateReply: vi.fn(),
  switchBranch: vi.fn(),
  stopReply: vi.fn(),
  newIdempotencyKey: vi.fn(),
}));
vi.mock("./api", async (importOriginal) => {
  const real = await importOriginal<typeof import("./api")>();
  return { ...real, api: mock };
});

import { Conversation, versionsOf } from "./conversation.svelte";

const msg = (id: number, role: ChatMessage["role"], content: string, parentId: number | null): ChatMessage => ({
  id, sessionId: 7, role, content, tokens: null, creditsUsed: 0, status: "complete", error: null,
  createdAt: "2026-11-25T10:00:00Z", updatedAt: "2026-11-25T10:00:00Z", parentId,
});
const session = { id: 7, displayId: "CH-000007", title: "t", createdAt: "", updatedAt: "", messageCount: 4, activeLeafId: 4 };
const balance = { remaining: 91, free: 91, purchased: 0, total: 100, lastReset: "", nextReset: "", pro: false, low: false, band: "green" };

// 1 ─ 2 ─ 3 ─ 4        the first path
//       └ 5 ─ 6        "3" edited and sent again
const path = [msg(1, "user", "hi", null), msg(2, "assistant", "hello", 1), msg(3, "user", "blue", 2), msg(4, "assistant", "ok blue", 3)];
const edited = [msg(1, "user", "hi", null), msg(2, "assistant", "hello", 1), msg(5, "user", "green", 2), msg(6, "assistant", "ok green", 5)];
const frames = () => ({ schedule: (run: () => void) => void run() }).schedule;

beforeEach(() => {
  Object.values(mock).forEach((fn) => fn.mockReset());
  mock.newIdempotencyKey.mockResolvedValue("core-key");
});

describe("branches", () => {
  it("say where a message stands among its versions", () => {
    const branches = [{ messageId: 5, versions: [3, 5, 8] }];
    expect(versionsOf(branches, 5)).toEqual({ at: 2, total: 3, previous: 3, next: 8 });
    expect(versionsOf(branches, 3)).toBe(null);
    expect(versionsOf([{ messageId: 3, versions: [3, 5] }], 3)).toEqual({ at: 1, total: 2, previous: null, next: 5 });
    expect(versionsOf([], 1)).toBe(null);
  });

  it("send an edit as another version and show the new path with its count", async () => {
    mock.listMessages
      .mockResolvedValueOnce({ messages: path, olderCursor: null, branches: [] })
      .mockResolvedValueOnce({ messages: edited, olderCursor: null, branches: [{ messageId: 5, versions: [3, 5] }] });
    const chat = new Conversation(frames());
    await chat.open(7);
    mock.sendMessage.mockImplementation(async () => {
      // While it is sent, what followed the edited message is gone from view.
      expect(chat.messages.map((m) => m.content)).toEqual(["hi", "hello", "green"]);
      return { session, userMessage: edited[2], reply: edited[3], balance } as unknown as SendResult;
    });
    await chat.send("green", false, {}, 3);
    expect(mock.sendMessage.mock.calls[0][0]).toMatchObject({ sessionId: 7, content: "green", editOf: 3 });
    expect(chat.messages.map((m) => m.id)).toEqual([1, 2, 5, 6]);
    expect(chat.versions(5)).toEqual({ at: 2, total: 2, previous: 3, next: null });
  });

  it("switch to another version and reload the conversation after it", async () => {
    mock.listMessages
      .mockResolvedValueOnce({ messages: edited, olderCursor: null, branches: [{ messageId: 5, versions: [3, 5] }] })
      .mockResolvedValueOnce({ messages: path, olderCursor: null, branches: [{ messageId: 3, versions: [3, 5] }] });
    mock.switchBranch.mockResolvedValue(session);
    const chat = new Conversation(frames());
    await chat.open(7);
    await chat.switchTo(3);
    expect(mock.switchBranch).toHaveBeenCalledWith(7, 3);
    expect(chat.messages.map((m) => m.content)).toEqual(["hi", "hello", "blue", "ok blue"]);
    expect(chat.versions(3)?.at).toBe(1);
  });

  it("open the editor on the last message the user sent", async () => {
    mock.listMessages.mockResolvedValueOnce({ messages: path, olderCursor: null, branches: [] });
    const chat = new Conversation(frames());
    expect(chat.editLast()).toBe(false);
    await chat.open(7);
    expect(chat.editLast()).toBe(true);
    expect(chat.editingId).toBe(3);
  });
});
