import { describe, expect, it } from "vitest";
import type { ChatMessage, DomainEvent } from "../bindings";
import { FrameBatcher, reduceReply } from "./streaming";

const user = (id: number, sessionId = 1): ChatMessage => ({
  id, sessionId, role: "user", content: "hi", tokens: null, creditsUsed: 3, status: "complete",
  error: null, createdAt: "", updatedAt: "",
});

function run(messages: ChatMessage[], events: DomainEvent[], sessionId = 1) {
  return events.reduce((m, e) => reduceReply(m, sessionId, e), messages);
}

describe("reply reducer", () => {
  it("streams a reply into a placeholder and finishes it", () => {
    const out = run([user(1)], [
      { type: "reply_started", sessionId: 1, messageId: 2 },
      { type: "reply_delta", sessionId: 1, messageId: 2, delta: "Hel" },
      { type: "reply_delta", sessionId: 1, messageId: 2, delta: "lo" },
      { type: "reply_finished", sessionId: 1, messageId: 2, status: "complete", tokens: 2 },
    ]);
    expect(out).toHaveLength(2);
    expect(out[1]).toMatchObject({ id: 2, role: "assistant", content: "Hello", status: "complete", tokens: 2 });
  });

  it("ignores other sessions and credit events without copying", () => {
    const messages = [user(1)];
    expect(reduceReply(messages, 1, { type: "reply_started", sessionId: 9, messageId: 2 })).toBe(messages);
    expect(reduceReply(messages, 1, { type: "credits_changed", remaining: 3, total: 100 })).toBe(messages);
  });

  it("replaces the trailing reply when one is regenerated", () => {
    const first = run([user(1)], [
      { type: "reply_started", sessionId: 1, messageId: 2 },
      { type: "reply_delta", sessionId: 1, messageId: 2, delta: "old" },
      { type: "reply_finished", sessionId: 1, messageId: 2, status: "complete", tokens: 1 },
    ]);
    const out = run(first, [{ type: "reply_started", sessionId: 1, messageId: 3 }]);
    expect(out.map((m) => m.id)).toEqual([1, 3]);
    expect(out[1].status).toBe("streaming");
  });

  it("marks failures and stops", () => {
    const failed = run([user(1)], [
      { type: "reply_started", sessionId: 1, messageId: 2 },
      { type: "reply_failed", sessionId: 1, messageId: 2, code: "timeout", message: "took too long", refunded: true },
    ]);
    expect(failed[1]).toMatchObject({ status: "error", error: "took too long" });
    const stopped = run([user(1)], [
      { type: "reply_started", sessionId: 1, messageId: 2 },
      { type: "reply_delta", sessionId: 1, messageId: 2, delta: "par" },
      { type: "reply_finished", sessionId: 1, messageId: 2, status: "stopped", tokens: 1 },
    ]);
    expect(stopped[1]).toMatchObject({ status: "stopped", content: "par" });
  });

  it("keeps untouched messages as the same objects", () => {
    const start = run([user(1)], [{ type: "reply_started", sessionId: 1, messageId: 2 }]);
    const next = reduceReply(start, 1, { type: "reply_delta", sessionId: 1, messageId: 2, delta: "x" });
    expect(next[0]).toBe(start[0]);
    expect(next[1]).not.toBe(start[1]);
  });
});

describe("frame batcher", () => {
  it("commits many pushes once per frame, in order", () => {
    const frames: (() => void)[] = [];
    const commits: number[][] = [];
    const batcher = new FrameBatcher<number>((items) => commits.push(items), (run) => frames.push(run));
    for (let i = 0; i < 10; i++) batcher.push(i);
    expect(frames).toHaveLength(1);
    expect(commits).toHaveLength(0);
    frames.shift()!();
    expect(commits).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    batcher.push(10);
    batcher.push(11);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(commits).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11]]);
  });

  it("flushes on demand and then skips the empty frame", () => {
    const frames: (() => void)[] = [];
    const commits: string[][] = [];
    const batcher = new FrameBatcher<string>((items) => commits.push(items), (run) => frames.push(run));
    batcher.push("a");
    batcher.flush();
    expect(commits).toEqual([["a"]]);
    frames.shift()!();
    expect(commits).toEqual([["a"]]);
    expect(batcher.pending).toBe(0);
  });
});
