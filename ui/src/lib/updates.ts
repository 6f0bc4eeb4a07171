// Words for the Settings › Updates card: why the install waits, what a
// refusal means, and when a version was published. Pure, so it is tested
// without the store.
import type { ApiError, ErrorCode, InstallBlockers } from "../bindings";

/** Why "Install and restart" is disabled now, or null when it may run. */
export function blockerReason(blockers: InstallBlockers | null): string | null {
  if (!blockers) return null;
  const { repliesStreaming: replies, checkoutsPending: checkouts } = blockers;
  if (replies > 0) {
    const what = replies === 1 ? "a reply is" : `${replies} replies are`;
    return `Waiting: ${what} still streaming. Let it finish or stop it, then install.`;
  }
  if (checkouts > 0) {
    const what = checkouts === 1 ? "a checkout is" : `${checkouts} checkouts are`;
    return `Waiting: ${what} waiting for payment. Finish paying (or let it expire), then install.`;
  }
  return null;
}

/**
 * What the card says for the update codes; any other code (the database,
 * the server) shows the core's own message.
 */
const UPDATE_TEXT: Partial<Record<ErrorCode, string>> = {
  update_not_configured: "This build of Banter has no update server configured.",
  update_insecure_url: "The update server is not on a secure (https) address, so Banter did not contact it.",
  update_bad_url: "The update server address is not valid.",
  update_unavailable: "The update server can't be reached right now. Try again later.",
  update_bad_signature: "The download did not carry Banter's signature, so it was discarded. Nothing was installed.",
  update_not_offered: "That version is no longer offered. Check for updates again.",
  update_install_failed: "The update could not be installed; this version keeps running.",
};

export function updateErrorMessage(error: ApiError): string {
  return UPDATE_TEXT[error.code] ?? error.message;
}

/** A manifest's publication date as "November 25, 2026" (UTC), or null. */
export function publishedOn(date: string | null | undefined): string | null {
  if (!date) return null;
  const at = new Date(date);
  if (Number.isNaN(at.getTime())) return null;
  return at.toLocaleDateString("en-US", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
}
