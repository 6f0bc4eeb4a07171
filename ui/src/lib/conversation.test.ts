import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage, DomainEvent, SendResult } from "../bindings";

// The IPC layer is replaced: the store is tested against a scripted core.
const mock = vi.hoisted(() => ({
  listMessages: vi.fn(),
  sendMessage: vi.fn(),
  regenerateReply: vi.fn(),
  stopReply: vi.fn(),
  listSessions: vi.fn(),
  renameSession: vi.fn(),
  deleteSession: vi.fn(),
  newIdempotencyKey: vi.fn(),
}));
vi.mock("./api", async (importOriginal) => {
  const real = await importOriginal<typeof import("./api")>();
  return { ...real, api: mock };
});

import { ApiFailure } from "./api";
import { Conversation } from "./conversation.svelte";
import { SessionStore } from "./sessions.svelte";

const msg = (id: number, role: ChatMessage["role"], content: string, sessionId = 7): ChatMessage => ({
  id, sessionId, role, content, tokens: null, creditsUsed: 0, status: "complete", error: null,
  createdAt: "2026-11-25T10:00:00Z", updatedAt: "2026-11-25T10:00:00Z",
});

function manualFrames() {
  const frames: (() => void)[] = [];
  return { schedule: (run: () => void) => void frames.push(run), frames, tick: () => frames.splice(0).forEach((f) => f()) };
}

let keysMade = 0;
beforeEach(() => {
  Object.values(mock).forEach((fn) => fn.mockReset());
  // The core's one generator makes the keys (banter_core::idempotency).
  mock.newIdempotencyKey.mockImplementation(async () => `core-key-${++keysMade}`);
});

describe("conversation", () => {
  it("loads the newest page and pages older messages before it", async () => {
    mock.listMessages
      .mockResolvedValueOnce({ messages: [msg(51, "user", "b"), msg(52, "assistant", "c")], olderCursor: 51 })
      .mockResolvedValueOnce({ messages: [msg(50, "assistant", "a")], olderCursor: null });
    const chat = new Conversation(manualFrames().schedule);
    await chat.open(7);
    expect(mock.listMessages).toHaveBeenLastCalledWith(7, null, 50);
    expect(await chat.loadOlder()).toBe(true);
    expect(mock.listMessages).toHaveBeenLastCalledWith(7, 51, 50);
    expect(chat.messages.map((m) => m.id)).toEqual([50, 51, 52]);
    expect(chat.olderCursor).toBe(null);
    expect(await chat.loadOlder()).toBe(false);
  });

  it("reads the open session again when another device changed it, keeping older pages", async () => {
    mock.listMessages
      .mockResolvedValueOnce({ messages: [msg(51, "user", "b"), msg(52, "assistant", "c")], olderCursor: 51 })
      .mockResolvedValueOnce({ messages: [msg(50, "assistant", "a")], olderCursor: null })
      .mockResolvedValueOnce({ messages: [msg(52, "assistant", "c"), msg(53, "user", "d"), msg(54, "assistant", "e")], olderCursor: 52 });
    const frames = manualFrames();
    const chat = new Conversation(frames.schedule);
    await chat.open(7);
    await chat.loadOlder();
    chat.onSynced([8]);
    expect(mock.listMessages).toHaveBeenCalledTimes(2);
    // While a reply streams in, its events keep the session current.
    chat.onCoreEvent({ type: "reply_started", sessionId: 7, messageId: 53 });
    frames.tick();
    expect(chat.streaming).toBe(true);
    chat.onSynced([7]);
    expect(mock.listMessages).toHaveBeenCalledTimes(2);
    chat.onCoreEvent({ type: "reply_finished", sessionId: 7, messageId: 53, status: "complete", tokens: 1 });
    frames.tick();
    expect(chat.streaming).toBe(false);
    chat.onSynced([7, 8]);
    await vi.waitFor(() => expect(chat.messages.map((m) => m.id)).toEqual([50, 51, 52, 53, 54]));
    expect(mock.listMessages).toHaveBeenLastCalledWith(7, null, 50);
    expect(chat.olderCursor).toBe(null);
  });

  it("jumps to a message by loading the page that ends at it", async () => {
    mock.listMessages.mockResolvedValueOnce({ messages: [msg(9, "user", "x"), msg(10, "assistant", "y")], olderCursor: 9 });
    const chat = new Conversation(manualFrames().schedule);
    await chat.open(7, 10);
    expect(mock.listMessages).toHaveBeenCalledWith(7, 11, 50);
    expect(chat.highlightId).toBe(10);
    expect(chat.atLatest).toBe(false);
  });

  it("streams a new chat's reply with one commit per frame", async () => {
    const frames = manualFrames();
    const chat = new Conversation(frames.schedule);
    await chat.open(null);
    let emit: (e: DomainEvent) => void = () => {};
    let finish: (r: SendResult) => void = () => {};
    mock.sendMessage.mockImplementation((_req, onEvent) => {
      emit = onEvent;
      return new Promise((resolve) => (finish = resolve));
    });
    const onSession = vi.fn();
    const sent = chat.send("hello", true, { onSession });
    await vi.waitFor(() => expect(mock.sendMessage).toHaveBeenCalled());
    expect(mock.sendMessage.mock.calls[0][0]).toMatchObject({ sessionId: null, content: "hello", includeContext: true });
    // The key comes from the core (banter_core::idempotency), not the UI.
    expect(mock.sendMessage.mock.calls[0][0].idempotencyKey).toBe(`core-key-${keysMade}`);
    expect(chat.messages.map((m) => m.content)).toEqual(["hello"]);
    expect(chat.streaming).toBe(true);

    emit({ type: "reply_started", sessionId: 7, messageId: 2 });
    expect(onSession).toHaveBeenCalledWith(7);
    for (const delta of ["Hel", "lo", " there"]) emit({ type: "reply_delta", sessionId: 7, messageId: 2, delta });
    const before = chat.messages;
    expect(frames.frames).toHaveLength(1);
    frames.tick();
    expect(chat.messages).not.toBe(before);
    expect(chat.messages.at(-1)).toMatchObject({ id: 2, content: "Hello there", status: "streaming" });

    emit({ type: "reply_delta", sessionId: 7, messageId: 2, delta: "!" });
    finish({
      session: { id: 7, displayId: "CH-000007", title: "hello", createdAt: "", updatedAt: "", messageCount: 2 },
      userMessage: msg(1, "user", "hello"),
      reply: { ...msg(2, "assistant", "Hello there!"), tokens: 4 },
      balance: { remaining: 97, freeRemaining: 97, purchasedRemaining: 0, total: 100, lastReset: "", nextReset: "", pro: false, proUntil: null, band: "green", low: false },
    });
    await sent;
    expect(chat.sessionId).toBe(7);
    expect(chat.messages.map((m) => [m.id, m.content])).toEqual([[1, "hello"], [2, "Hello there!"]]);
    expect(chat.streaming).toBe(false);
  });

  it("takes the optimistic message back when the send is refused", async () => {
    mock.listMessages.mockResolvedValueOnce({ messages: [msg(1, "user", "a")], olderCursor: null });
    const chat = new Conversation(manualFrames().schedule);
    await chat.open(7);
    mock.sendMessage.mockRejectedValueOnce(new ApiFailure({ code: "insufficient_credits", message: "no", needed: 3, available: 1 }));
    await expect(chat.send("b", false)).rejects.toMatchObject({ code: "insufficient_credits" });
    expect(chat.messages.map((m) => m.content)).toEqual(["a"]);
    expect(chat.sending).toBe(false);
  });

  it("sends the same text again with the same key after a send that may have been taken", async () => {
    const chat = new Conversation(manualFrames().schedule);
    await chat.open(null);
    const keys = () => mock.sendMessage.mock.calls.map((call) => call[0].idempotencyKey);
    // The connection broke before the reply started: the server may have it.
    mock.sendMessage.mockRejectedValueOnce(new ApiFailure({ code: "offline", message: "away" }));
    await expect(chat.send("hello", false)).rejects.toMatchObject({ code: "offline" });
    mock.sendMessage.mockRejectedValueOnce(new ApiFailure({ code: "offline", message: "away" }));
    await expect(chat.send("hello", false)).rejects.toMatchObject({ code: "offline" });
    expect(keys()[1]).toBe(keys()[0]);
    // Other text is another send.
    mock.sendMessage.mockRejectedValueOnce(new ApiFailure({ code: "offline", message: "away" }));
    await expect(chat.send("hello again", false)).rejects.toMatchObject({ code: "offline" });
    expect(keys()[2]).not.toBe(keys()[0]);
  });

  it("sends files with the message, keeping the key only for the same files", async () => {
    const chat = new Conversation(manualFrames().schedule);
    await chat.open(null);
    const calls = () => mock.sendMessage.mock.calls.map((call) => call[0]);
    const note = { name: "a.txt", dataBase64: "b25l" };
    mock.sendMessage.mockRejectedValue(new ApiFailure({ code: "offline", message: "away" }));
    await expect(chat.send("read", false, {}, null, [note])).rejects.toMatchObject({ code: "offline" });
    await expect(chat.send("read", false, {}, null, [{ ...note }])).rejects.toMatchObject({ code: "offline" });
    // Other bytes under the same name are another send: the core would refuse the old key.
    await expect(chat.send("read", false, {}, null, [{ name: "a.txt", dataBase64: "dHdv" }])).rejects.toMatchObject({ code: "offline" });
    expect(calls().map((c) => c.attachments)).toEqual([[note], [note], [{ name: "a.txt", dataBase64: "dHdv" }]]);
    expect(calls()[1].idempotencyKey).toBe(calls()[0].idempotencyKey);
    expect(calls()[2].idempotencyKey).not.toBe(calls()[0].idempotencyKey);
  });

  it("gives an edit of the same text its own key: the core binds a key to the message it replaces", async () => {
    const chat = new Conversation(manualFrames().schedule);
    await chat.open(null);
    const calls = () => mock.sendMessage.mock.calls.map((call) => call[0]);
    mock.sendMessage.mockRejectedValue(new ApiFailure({ code: "offline", message: "away" }));
    await expect(chat.send("hello", false)).rejects.toMatchObject({ code: "offline" });
    await expect(chat.send("hello", false, {}, 41)).rejects.toMatchObject({ code: "offline" });
    await expect(chat.send("hello", false, {}, 41)).rejects.toMatchObject({ code: "offline" });
    expect(calls().map((c) => c.editOf)).toEqual([null, 41, 41]);
    expect(calls()[1].idempotencyKey).not.toBe(calls()[0].idempotencyKey);
    expect(calls()[2].idempotencyKey).toBe(calls()[1].idempotencyKey);
  });

  it("keeps the files of the page's messages, replacing what an older read said", async () => {
    const info = (id: number, messageId: number) => ({ id, messageId, name: `f${id}`, kind: "text" as const, mime: "text/plain", sizeBytes: 1, tokens: 1 });
    mock.listMessages
      .mockResolvedValueOnce({ messages: [msg(51, "user", "b"), msg(52, "assistant", "c")], olderCursor: 51, attachments: [info(1, 51)] })
      .mockResolvedValueOnce({ messages: [msg(49, "user", "a"), msg(50, "assistant", "a")], olderCursor: null, attachments: [info(2, 49)] });
    const chat = new Conversation(manualFrames().schedule);
    await chat.open(7);
    expect(chat.attachments.map((a) => a.id)).toEqual([1]);
    await chat.loadOlder();
    expect(chat.attachments.map((a) => a.id).sort()).toEqual([1, 2]);
    await chat.open(null);
    expect(chat.attachments).toEqual([]);
  });

  it("applies other windows' events only when it is not sending itself", async () => {
    mock.listMessages.mockResolvedValueOnce({ messages: [msg(1, "user", "a")], olderCursor: null });
    const frames = manualFrames();
    const chat = new Conversation(frames.schedule);
    await chat.open(7);
    chat.onCoreEvent({ type: "reply_started", sessionId: 7, messageId: 2 });
    chat.onCoreEvent({ type: "reply_delta", sessionId: 7, messageId: 2, delta: "hi" });
    chat.onCoreEvent({ type: "reply_delta", sessionId: 8, messageId: 9, delta: "other" });
    frames.tick();
    expect(chat.messages.at(-1)).toMatchObject({ id: 2, content: "hi" });
    expect(chat.streaming).toBe(true);
  });

  it("stops only while a reply streams", async () => {
    const chat = new Conversation(manualFrames().schedule);
    expect(await chat.stop()).toBe(false);
    mock.listMessages.mockResolvedValueOnce({ messages: [{ ...msg(2, "assistant", "x"), status: "streaming" }], olderCursor: null });
    await chat.open(7);
    mock.stopReply.mockResolvedValueOnce(true);
    expect(await chat.stop()).toBe(true);
    expect(mock.stopReply).toHaveBeenCalledWith(7);
  });
});

describe("session store", () => {
  const s = (id: number, title: string, updatedAt: string) => ({ id, displayId: `CH-${id}`, title, createdAt: updatedAt, updatedAt, messageCount: 1 });

  it("loads, pages, renames, deletes and filters", async () => {
    mock.listSessions
      .mockResolvedValueOnce({ sessions: [s(3, "Gamma", "2026-11-25"), s(2, "Beta", "2026-11-24")], nextCursor: "c1" })
      .mockResolvedValueOnce({ sessions: [s(1, "Alpha", "2026-11-20")], nextCursor: null });
    const store = new SessionStore();
    await store.load();
    await store.loadMore();
    expect(mock.listSessions).toHaveBeenLastCalledWith("c1", 50);
    expect(store.list.map((x) => x.id)).toEqual([3, 2, 1]);
    mock.renameSession.mockResolvedValueOnce(s(1, "Renamed", "2026-11-26"));
    await store.rename(1, "Renamed");
    expect(store.list.map((x) => x.title)).toEqual(["Renamed", "Gamma", "Beta"]);
    mock.deleteSession.mockResolvedValueOnce(s(2, "Beta", ""));
    await store.remove(2);
    expect(store.list.map((x) => x.id)).toEqual([1, 3]);
    store.filter = "gam";
    expect(store.visible.map((x) => x.id)).toEqual([3]);
  });
});
