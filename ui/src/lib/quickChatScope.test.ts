// The quick-chat window's code paths (send, a failed reply and the reload
// after it, stop, the balance) run against an IPC that refuses, as Tauri
// does, every command the quick-chat capability does not allow.
import { beforeEach, describe, expect, it, vi } from "vitest";
import capability from "../../../src-tauri/capabilities/quick-chat.json";
import type { ChatMessage, DomainEvent } from "../bindings";

/** The app commands a capability allows: `allow-list-messages` → `list_messages`. */
function allowedCommands({ permissions }: { permissions: (string | { identifier: string })[] }): Set<string> {
  return new Set(
    permissions
      .map((p) => (typeof p === "string" ? p : p.identifier))
      .filter((p) => p.startsWith("allow-"))
      .map((p) => p.slice("allow-".length).replaceAll("-", "_")),
  );
}

const ipc = vi.hoisted(() => ({
  allowed: new Set<string>(),
  denied: [] as string[],
  calls: [] as string[],
  answer: (_cmd: string, _args: Record<string, unknown>): Promise<unknown> => Promise.reject("unscripted"),
}));

vi.mock("@tauri-apps/api/core", async (importOriginal) => {
  const real = await importOriginal<typeof import("@tauri-apps/api/core")>();
  class Channel<T> {
    onmessage: (message: T) => void = () => {};
  }
  return {
    ...real,
    Channel,
    invoke: (cmd: string, args: Record<string, unknown> = {}) => {
      ipc.calls.push(cmd);
      if (!ipc.allowed.has(cmd)) {
        ipc.denied.push(cmd);
        return Promise.reject(`Command ${cmd} not allowed by ACL`);
      }
      if (cmd === "new_idempotency_key") return Promise.resolve(`key-${ipc.calls.length}`);
      return ipc.answer(cmd, args);
    },
  };
});

import { api } from "./api";
import { Conversation } from "./conversation.svelte";
import { credits } from "./credits.svelte";

const msg = (id: number, role: ChatMessage["role"], content: string, status: ChatMessage["status"] = "complete"): ChatMessage => ({
  id, sessionId: 7, role, content, tokens: null, creditsUsed: 0, status, error: null,
  createdAt: "2026-11-25T10:00:00Z", updatedAt: "2026-11-25T10:00:00Z",
});
const balance = { remaining: 97, freeRemaining: 97, purchasedRemaining: 0, total: 100, lastReset: "", nextReset: "", pro: false, proUntil: null, band: "green", low: false };
const costs = { chatMessage: 3, projectGeneration: 15, urlScrape: 5, lowBalanceThreshold: 20 };
const frames = () => (run: () => void) => run();

beforeEach(() => {
  ipc.allowed = allowedCommands(capability);
  ipc.denied = [];
  ipc.calls = [];
});

describe("the quick-chat window within its capability", () => {
  it("reloads the conversation after a failed reply", async () => {
    ipc.answer = async (cmd, args) => {
      if (cmd === "send_message") {
        const channel = args.onEvent as { onmessage: (e: DomainEvent) => void };
        channel.onmessage({ type: "reply_started", sessionId: 7, messageId: 2 });
        return Promise.reject({ code: "provider_error", message: "The provider failed" });
      }
      if (cmd === "list_messages") return { messages: [msg(1, "user", "hi"), msg(2, "assistant", "", "error")], olderCursor: null };
      if (cmd === "get_credits") return balance;
      return Promise.reject(`unscripted ${cmd}`);
    };
    const chat = new Conversation(frames());
    await expect(chat.send("hi", false)).rejects.toMatchObject({ saved: true, error: { code: "provider_error" } });
    await credits.refresh();
    expect(ipc.denied).toEqual([]);
    expect(ipc.calls).toEqual(["new_idempotency_key", "send_message", "list_messages", "get_credits"]);
    expect(chat.error).toBe(null);
    expect(chat.messages.map((m) => [m.id, m.status])).toEqual([[1, "complete"], [2, "error"]]);
  });

  it("sends, stops, pages older messages and reads the balance and prices", async () => {
    let finish: () => void = () => {};
    ipc.answer = async (cmd, args) => {
      switch (cmd) {
        case "send_message": {
          const channel = args.onEvent as { onmessage: (e: DomainEvent) => void };
          channel.onmessage({ type: "reply_started", sessionId: 7, messageId: 2 });
          await new Promise<void>((resolve) => (finish = resolve));
          return {
            session: { id: 7, displayId: "CH-000007", title: "hi", createdAt: "", updatedAt: "", messageCount: 2 },
            userMessage: msg(1, "user", "hi"), reply: msg(2, "assistant", "stopped", "stopped"), balance,
          };
        }
        case "stop_reply":
          finish();
          return true;
        case "list_messages":
          return { messages: [msg(0, "user", "older")], olderCursor: null };
        case "get_credits":
          return balance;
        case "get_costs":
          return costs;
      }
      return Promise.reject(`unscripted ${cmd}`);
    };
    await credits.load();
    const chat = new Conversation(frames());
    const sent = chat.send("hi", false);
    await vi.waitFor(() => expect(chat.sessionId).toBe(7));
    expect(await chat.stop()).toBe(true);
    await sent;
    chat.olderCursor = 1;
    expect(await chat.loadOlder()).toBe(true);
    await chat.open(null);
    expect(ipc.denied).toEqual([]);
    expect(ipc.calls).toEqual(["get_credits", "get_costs", "new_idempotency_key", "send_message", "stop_reply", "list_messages"]);
  });

  it("switches between versions of a message (edited in the main window)", async () => {
    ipc.answer = async (cmd, args) => {
      if (cmd === "switch_branch") {
        expect(args).toEqual({ sessionId: 7, messageId: 3 });
        return { id: 7, displayId: "CH-000007", title: "hi", createdAt: "", updatedAt: "", messageCount: 2, activeLeafId: 4 };
      }
      if (cmd === "list_messages") return { messages: [msg(3, "user", "hi again"), msg(4, "assistant", "hello")], olderCursor: null, branches: [] };
      return Promise.reject(`unscripted ${cmd}`);
    };
    const chat = new Conversation(frames());
    chat.sessionId = 7;
    await chat.switchTo(3);
    expect(ipc.denied).toEqual([]);
    expect(ipc.calls).toEqual(["switch_branch", "list_messages"]);
    expect(chat.messages.map((m) => m.id)).toEqual([3, 4]);
  });

  it("opens a reply's link and shows Pricing in the main window", async () => {
    ipc.answer = async (cmd) => (cmd === "open_link" || cmd === "show_main_screen" ? null : Promise.reject(`unscripted ${cmd}`));
    await api.openLink("https://example.com/docs");
    await api.showMainScreen("pricing");
    expect(ipc.denied).toEqual([]);
    expect(ipc.calls).toEqual(["open_link", "show_main_screen"]);
    // Settings, history and search stay the main window's.
    await expect(api.listSessions(null, null)).rejects.toMatchObject({ error: { code: "ipc" } });
    await expect(api.searchMessages("x", null)).rejects.toMatchObject({ error: { code: "ipc" } });
    expect(ipc.denied).toEqual(["list_sessions", "search_messages"]);
  });

  it("fails on a command the capability does not allow", async () => {
    ipc.allowed.delete("list_messages");
    ipc.answer = async (cmd, args) => {
      const channel = args.onEvent as { onmessage: (e: DomainEvent) => void };
      channel.onmessage({ type: "reply_started", sessionId: 7, messageId: 2 });
      return Promise.reject({ code: "provider_error", message: `${cmd} failed` });
    };
    const chat = new Conversation(frames());
    await expect(chat.send("hi", false)).rejects.toMatchObject({ saved: true });
    expect(ipc.denied).toEqual(["list_messages"]);
    // Tauri's refusal is a plain string: it arrives as a typed `ipc` error with its words.
    expect(chat.error).toEqual({ code: "ipc", message: "Command list_messages not allowed by ACL" });
  });
});
