// Copying text for the copy buttons and Ctrl/Cmd+Shift+C.
import { toasts } from "./toasts.svelte";

/** Copies `text`; true when it worked. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (error) {
    console.warn("copy failed", error);
    return false;
  }
}

/** Ctrl/Cmd+Shift+C: the last reply, or a note that there is none. */
export async function copyLastReply(reply: { content: string } | null): Promise<void> {
  if (!reply) {
    toasts.show("There is no reply to copy yet.", "info", 2500);
    return;
  }
  if (await copyText(reply.content)) toasts.show("Reply copied.", "success", 2000);
  else toasts.show("Copying failed: the clipboard is not available.", "error");
}
