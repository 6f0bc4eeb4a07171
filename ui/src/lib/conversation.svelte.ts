// One open conversation: its messages (paged), the reply streaming into it,
// and the send / stop / regenerate actions. Used by the chat screen and the
// quick-chat window alike.
import type { ApiError, AttachmentInfo, AttachmentUpload, Branch, ChatMessage, DomainEvent, ErrorCode, MessagePage, SendResult } from "../bindings";
import { api, ApiFailure, asApiError } from "./api";
import { FrameBatcher, isReplyEvent, reduceReply, type Scheduler } from "./streaming";

export const PAGE_SIZE = 50;

/** Where a message stands among its versions: "‹ at/total ›". */
export type Versions = { at: number; total: number; previous: number | null; next: number | null };

/** The versions of `messageId` from a page's branches; null when it has one. */
export function versionsOf(branches: readonly Branch[], messageId: number): Versions | null {
  const branch = branches.find((b) => b.messageId === messageId);
  if (!branch || branch.versions.length < 2) return null;
  const i = branch.versions.indexOf(messageId);
  if (i < 0) return null;
  return {
    at: i + 1,
    total: branch.versions.length,
    previous: branch.versions[i - 1] ?? null,
    next: branch.versions[i + 1] ?? null,
  };
}

export type SendHooks = {
  /** The session is known (a new one is made by the first send). */
  onSession?: (sessionId: number) => void;
  onResult?: (result: SendResult) => void;
};

/** Errors raised before anything was saved: the draft goes back to the input. */
const NOTHING_SAVED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "insufficient_credits", "session_busy", "invalid_input", "provider_not_configured",
  // The chat's model is refused (gone from the list) before anything is paid.
  "model_not_found",
  // Attachments are checked before anything is paid or saved.
  "too_many_attachments", "attachment_too_large", "attachment_not_text", "attachment_unsupported",
  "attachment_over_budget", "model_cannot_see", "attachment_unreadable",
]);

/** A failed send; `saved` says whether the message was kept (so the draft can be cleared). */
export class SendFailure extends ApiFailure {
  constructor(
    error: ApiError,
    readonly saved: boolean,
  ) {
    super(error);
  }
}

/** The same files, in the same order (names and bytes). */
export function sameFiles(a: readonly AttachmentUpload[], b: readonly AttachmentUpload[]): boolean {
  return a.length === b.length && a.every((f, i) => f.name === b[i].name && f.dataBase64 === b[i].dataBase64);
}

export class Conversation {
  sessionId = $state<number | null>(null);
  messages = $state.raw<ChatMessage[]>([]);
  /** Messages shown that have other versions (edits sent again, regenerated replies). */
  branches = $state.raw<Branch[]>([]);
  /** The files the shown messages carry (without their bytes). */
  attachments = $state.raw<AttachmentInfo[]>([]);
  olderCursor = $state<number | null>(null);
  /** False after jumping to an older message: newer ones are not loaded. */
  atLatest = $state(true);
  loading = $state(false);
  loadingOlder = $state(false);
  /** A send or regenerate from this window is in flight. */
  sending = $state(false);
  highlightId = $state<number | null>(null);
  /** The user message whose inline editor is open. */
  editingId = $state<number | null>(null);
  error = $state<ApiError | null>(null);
  streaming = $derived(this.sending || this.messages.at(-1)?.status === "streaming");

  private batcher: FrameBatcher<DomainEvent>;
  private loadSeq = 0;
  private tempId = 0;
  /**
   * The key of a send that failed before its reply started: the server (or
   * the core) may have taken it all the same, so sending the same text
   * into the same session again carries the same key and is never charged
   * twice — the first exchange comes back instead.
   */
  private unsettled: { sessionId: number | null; content: string; attachments: AttachmentUpload[]; editOf: number | null; key: string } | null = null;

  constructor(schedule?: Scheduler) {
    this.batcher = new FrameBatcher((events) => this.commit(events), schedule);
  }

  private commit(events: DomainEvent[]): void {
    let next = this.messages;
    for (const event of events) {
      if (this.sessionId === null && event.type === "reply_started") this.sessionId = event.sessionId;
      next = reduceReply(next, this.sessionId, event);
    }
    this.messages = next;
  }

  /** Shows a session (null: a new, empty chat); `jumpTo` loads the page ending at that message. */
  async open(sessionId: number | null, jumpTo: number | null = null): Promise<void> {
    if (sessionId === this.sessionId && jumpTo === null && (this.loading || this.messages.length > 0 || this.sending)) return;
    const seq = ++this.loadSeq;
    this.batcher.flush();
    this.sessionId = sessionId;
    this.highlightId = jumpTo;
    this.error = null;
    this.messages = [];
    this.branches = [];
    this.attachments = [];
    this.editingId = null;
    this.olderCursor = null;
    this.atLatest = true;
    this.sending = false;
    if (sessionId === null) return;
    this.loading = true;
    try {
      const page = await api.listMessages(sessionId, jumpTo === null ? null : jumpTo + 1, PAGE_SIZE);
      if (seq !== this.loadSeq) return;
      this.messages = page.messages;
      this.branches = page.branches ?? [];
      this.attachments = page.attachments ?? [];
      this.olderCursor = page.olderCursor ?? null;
      // A page ending at the jump target may not reach the newest message.
      this.atLatest = jumpTo === null;
    } catch (e) {
      if (seq === this.loadSeq) this.error = asApiError(e);
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
  }

  async loadOlder(): Promise<boolean> {
    const id = this.sessionId;
    if (id === null || this.olderCursor === null || this.loadingOlder) return false;
    const seq = this.loadSeq;
    this.loadingOlder = true;
    try {
      const page = await api.listMessages(id, this.olderCursor, PAGE_SIZE);
      if (seq !== this.loadSeq) return false;
      const known = new Set(this.messages.map((m) => m.id));
      this.messages = [...page.messages.filter((m) => !known.has(m.id)), ...this.messages];
      this.mergeBranches(page);
      this.olderCursor = page.olderCursor ?? null;
      return true;
    } catch (e) {
      this.error = asApiError(e);
      return false;
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Reloads the newest page (after a jump, or when the saved state is the truth). */
  async reloadLatest(): Promise<void> {
    const id = this.sessionId;
    this.sessionId = null;
    this.messages = [];
    await this.open(id);
  }

  /**
   * Changes made on another device reached this computer (`synced`): the
   * open session's newest page is read again, keeping older messages
   * already shown. Not while a reply streams into it: its events keep it
   * current (the server's copy of a streaming reply has no text yet).
   */
  onSynced(sessionIds: number[]): void {
    const id = this.sessionId;
    if (id === null || !sessionIds.includes(id) || this.streaming || !this.atLatest || this.loading) return;
    void this.refreshLatest(id);
  }

  /** `own`: called by this window's own send, still in flight. */
  private async refreshLatest(id: number, own = false): Promise<void> {
    const seq = this.loadSeq;
    try {
      const page = await api.listMessages(id, null, PAGE_SIZE);
      if (seq !== this.loadSeq || (this.sending && !own) || this.sessionId !== id) return;
      const first = page.messages[0]?.id;
      // Older messages still shown must be on the path the page ends (a
      // branch switch elsewhere changes it): else start again from the page.
      const continues = first === undefined || page.messages[0]?.parentId == null || this.messages.some((m) => m.id === page.messages[0]?.parentId);
      const older = page.olderCursor == null || first === undefined || !continues ? [] : this.messages.filter((m) => m.id < first);
      this.messages = [...older, ...page.messages];
      this.branches = [];
      this.mergeBranches(page);
      if (older.length === 0) this.olderCursor = page.olderCursor ?? null;
    } catch (e) {
      if (seq === this.loadSeq && this.sessionId === id) this.error = asApiError(e);
    }
  }

  private mergeBranches(page: MessagePage): void {
    const fresh = page.branches ?? [];
    const ids = new Set(fresh.map((b) => b.messageId));
    this.branches = [...this.branches.filter((b) => !ids.has(b.messageId)), ...fresh];
    // Attachments of the page's messages, replacing what was known of them.
    const shown = new Set(page.messages.map((m) => m.id));
    this.attachments = [...this.attachments.filter((a) => !shown.has(a.messageId)), ...(page.attachments ?? [])];
  }

  /** Opens the editor on the last message the user sent (the Up arrow); false when there is none. */
  editLast(): boolean {
    if (this.streaming) return false;
    const last = [...this.messages].reverse().find((m) => m.role === "user" && m.id > 0);
    this.editingId = last?.id ?? null;
    return last !== undefined;
  }

  /** Where `messageId` stands among its versions (null: it has only one). */
  versions(messageId: number): Versions | null {
    return versionsOf(this.branches, messageId);
  }

  /** Shows another version of a message (and the conversation after it). */
  async switchTo(messageId: number): Promise<void> {
    const id = this.sessionId;
    if (id === null || this.streaming) return;
    await api.switchBranch(id, messageId);
    if (this.sessionId === id) await this.refreshLatest(id);
  }

  /** Events from other windows (the quick chat) for the open session. */
  onCoreEvent(event: DomainEvent): void {
    if (this.sending || !isReplyEvent(event) || event.sessionId !== this.sessionId) return;
    if (!this.atLatest) return;
    this.batcher.push(event);
  }

  /**
   * Sends a message; resolves with the result, or rejects with an
   * `ApiFailure` after restoring the list (the caller restores the draft).
   */
  async send(content: string, includeContext: boolean, hooks: SendHooks = {}, editOf: number | null = null,
    attachments: AttachmentUpload[] = []): Promise<SendResult> {
    if (!this.atLatest) await this.reloadLatest();
    const seq = this.loadSeq;
    const startedIn = this.sessionId;
    const edited = editOf === null ? undefined : this.messages.find((m) => m.id === editOf);
    const temp: ChatMessage = {
      id: -++this.tempId, sessionId: startedIn ?? 0, role: "user", content, tokens: null, creditsUsed: 0,
      status: "complete", error: null, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
      parentId: edited ? edited.parentId : (this.messages.at(-1)?.id ?? null),
    };
    // An edit forks at the edited message: what followed it is another branch now.
    const before = this.messages;
    const kept = edited ? before.filter((m) => m.id < edited.id) : before;
    this.messages = [...kept, temp];
    this.sending = true;
    let started = false;
    let saved = false;
    let key: string;
    try {
      key = await this.keyFor(startedIn, content, attachments, editOf);
    } catch (e) {
      this.messages = before;
      this.sending = false;
      throw new SendFailure(asApiError(e), false);
    }
    try {
      const result = await api.sendMessage(
        { sessionId: startedIn, content, includeContext, idempotencyKey: key, editOf, attachments },
        (event) => {
          if (seq !== this.loadSeq) return;
          if (event.type === "reply_started" && !started) {
            started = true;
            if (this.sessionId === null) this.sessionId = event.sessionId;
            hooks.onSession?.(event.sessionId);
          }
          this.batcher.push(event);
        },
      );
      this.unsettled = null;
      if (seq === this.loadSeq) {
        this.settle(result, temp.id);
        // The page lists what the stored message carries.
        if (editOf !== null || attachments.length > 0) await this.refreshLatest(result.session.id, true);
      }
      hooks.onResult?.(result);
      return result;
    } catch (e) {
      this.unsettled = started ? null : { sessionId: startedIn, content, attachments, editOf, key };
      if (seq === this.loadSeq) {
        this.batcher.flush();
        if (!started || NOTHING_SAVED.has(asApiError(e).code)) {
          this.messages = before;
        } else {
          // Something was saved (the message, maybe a failed reply): show what the core has.
          saved = true;
          this.sending = false;
          await this.reloadLatest();
        }
      }
      throw new SendFailure(asApiError(e), saved);
    } finally {
      if (seq === this.loadSeq) this.sending = false;
    }
  }

  /**
   * The key of a send: the unsettled one's when this is the same send
   * again, else a fresh one from the core (its one generator makes keys).
   */
  private async keyFor(sessionId: number | null, content: string, attachments: AttachmentUpload[] = [], editOf: number | null = null): Promise<string> {
    const last = this.unsettled;
    // The core trims a message before it is priced and stored: text that
    // differs only around its ends is the same send.
    // The core binds a key to the files and to the message an edit
    // replaces too: other files, or an edit of another message (or none),
    // are another send.
    if (
      last && last.sessionId === sessionId && last.editOf === editOf && last.content.trim() === content.trim() &&
      sameFiles(last.attachments, attachments)
    ) return last.key;
    return api.newIdempotencyKey();
  }

  async regenerate(includeContext: boolean, hooks: SendHooks = {}): Promise<SendResult> {
    const id = this.sessionId;
    if (id === null) throw new ApiFailure({ code: "not_found", message: "No conversation to regenerate." });
    const seq = this.loadSeq;
    this.sending = true;
    try {
      const result = await api.regenerateReply(id, includeContext, (event) => {
        if (seq === this.loadSeq) this.batcher.push(event);
      });
      if (seq === this.loadSeq) {
        this.settle(result, null);
        // The earlier reply is kept as another version: show the counts.
        await this.refreshLatest(result.session.id, true);
      }
      hooks.onResult?.(result);
      return result;
    } finally {
      if (seq === this.loadSeq) this.sending = false;
    }
  }

  async stop(): Promise<boolean> {
    if (this.sessionId === null || !this.streaming) return false;
    return api.stopReply(this.sessionId);
  }

  /** The saved messages replace the optimistic and streamed ones. */
  private settle(result: SendResult, tempId: number | null): void {
    this.batcher.flush();
    this.sessionId = result.session.id;
    const saved = [result.userMessage, result.reply];
    const savedIds = new Set(saved.map((m) => m.id));
    // A regenerated reply replaces the one shown (that one is kept as
    // another version of it); an edit's were cut when it was sent.
    const replaced = (m: ChatMessage) => m.role === "assistant" && m.parentId === result.reply.parentId;
    const kept = this.messages.filter((m) => m.id !== tempId && !savedIds.has(m.id) && !replaced(m));
    this.messages = [...kept, ...saved];
  }
}
