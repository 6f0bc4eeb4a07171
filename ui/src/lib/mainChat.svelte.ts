// The main window's open conversation and the send flow shared by the chat
// screen and the dashboard's Quick Chat card.
import type { AttachmentUpload } from "../bindings";
import { asApiError } from "./api";
import { Conversation, SendFailure } from "./conversation.svelte";
import { credits } from "./credits.svelte";
import { chatHref } from "./route";
import { router } from "./router.svelte";
import { sendErrorAction } from "./sendErrors";
import { sessions } from "./sessions.svelte";
import { toasts } from "./toasts.svelte";

export const mainChat = new Conversation();

class FatalState {
  error = $state<{ code: string; message: string } | null>(null);
}
export const fatal = new FatalState();

export function reportError(e: unknown): void {
  const error = asApiError(e);
  const action = sendErrorAction(error);
  if (action.kind === "out-of-credits") {
    credits.outOfCreditsFor = null;
    credits.outOfCredits = true;
  } else if (action.kind === "fatal") fatal.error = error;
  else toasts.show(action.text, "error");
}

/** Sends from the main window; false when the draft should stay in the input. */
export async function sendFromMain(text: string, includeContext: boolean, attachments: AttachmentUpload[] = []): Promise<boolean> {
  if (!credits.affordsChat()) return false;
  try {
    const result = await mainChat.send(text, includeContext, {
      onSession: (id) => router.go(chatHref(id)),
    }, null, attachments);
    credits.set(result.balance);
    sessions.upsert(result.session);
    return true;
  } catch (e) {
    reportError(e);
    // Whatever was saved (a failed reply) is listed; the credits may have moved.
    void credits.refresh();
    return e instanceof SendFailure && e.saved;
  }
}

/** Sends `text` as a new version of user message `messageId` (a branch); false when the editor should stay open. */
export async function editInMain(messageId: number, text: string, includeContext: boolean): Promise<boolean> {
  if (!credits.affordsChat()) return false;
  mainChat.editingId = null;
  try {
    const result = await mainChat.send(text, includeContext, {}, messageId);
    credits.set(result.balance);
    sessions.upsert(result.session);
    return true;
  } catch (e) {
    reportError(e);
    void credits.refresh();
    if (!(e instanceof SendFailure && e.saved)) mainChat.editingId = messageId;
    return e instanceof SendFailure && e.saved;
  }
}

export async function regenerateInMain(includeContext: boolean): Promise<void> {
  if (!credits.affordsChat()) return;
  try {
    const result = await mainChat.regenerate(includeContext);
    credits.set(result.balance);
    sessions.upsert(result.session);
  } catch (e) {
    reportError(e);
    void credits.refresh();
    await mainChat.reloadLatest();
  }
}

/** Ctrl/Cmd+N and the tray's "New chat". */
export function newChat(): void {
  void mainChat.open(null);
  router.go("#/chat");
}
