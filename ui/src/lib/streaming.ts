// Reply events → message list, as a pure reducer, plus a batcher that
// coalesces the many small deltas into at most one commit per frame.
import type { ChatMessage, DomainEvent } from "../bindings";

type ReplyEvent = Extract<DomainEvent, { sessionId: number }>;

export function isReplyEvent(event: DomainEvent): event is ReplyEvent {
  return event.type.startsWith("reply_");
}

function placeholder(sessionId: number, id: number): ChatMessage {
  const now = new Date().toISOString();
  return {
    id, sessionId, role: "assistant", content: "", tokens: null, creditsUsed: 0,
    status: "streaming", error: null, createdAt: now, updatedAt: now,
  };
}

function patch(messages: ChatMessage[], id: number, change: (m: ChatMessage) => ChatMessage): ChatMessage[] {
  // Replies stream at the end of the list: search from the back.
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].id === id) {
      const next = messages.slice();
      next[i] = change(messages[i]);
      return next;
    }
  }
  return messages;
}

/**
 * Applies one event for `sessionId`; events for other sessions and credit
 * events leave the list as it is (same array, so nothing re-renders).
 */
export function reduceReply(messages: ChatMessage[], sessionId: number | null, event: DomainEvent): ChatMessage[] {
  if (!isReplyEvent(event) || event.sessionId !== sessionId) return messages;
  const id = event.messageId;
  switch (event.type) {
    case "reply_started": {
      if (messages.some((m) => m.id === id)) return patch(messages, id, (m) => ({ ...m, status: "streaming" }));
      // A reply always follows a user message: a trailing reply is the one
      // being regenerated, and the new one replaces it.
      const last = messages.at(-1);
      const kept = last && last.role === "assistant" ? messages.slice(0, -1) : messages;
      return [...kept, placeholder(sessionId, id)];
    }
    case "reply_delta":
      return patch(messages, id, (m) => ({ ...m, content: m.content + event.delta }));
    case "reply_usage":
      return patch(messages, id, (m) => ({ ...m, tokens: event.usage.completionTokens }));
    case "reply_finished":
      return patch(messages, id, (m) => ({ ...m, status: event.status, tokens: event.tokens }));
    case "reply_failed":
      return patch(messages, id, (m) => ({ ...m, status: "error", error: event.message }));
  }
}

export type Scheduler = (run: () => void) => void;

/** requestAnimationFrame, or a timer where frames do not run (hidden window, tests). */
export const frameScheduler: Scheduler = (run) => {
  if (typeof requestAnimationFrame === "function" && !(typeof document !== "undefined" && document.hidden)) {
    requestAnimationFrame(() => run());
  } else {
    setTimeout(run, 50);
  }
};

/** Queues items and hands them over in one batch per scheduled frame. */
export class FrameBatcher<T> {
  private queue: T[] = [];
  private scheduled = false;

  constructor(
    private readonly commit: (items: T[]) => void,
    private readonly schedule: Scheduler = frameScheduler,
  ) {}

  push(item: T): void {
    this.queue.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Commits what is queued now (e.g. before a send's final result lands). */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    this.commit(items);
  }

  get pending(): number {
    return this.queue.length;
  }
}
