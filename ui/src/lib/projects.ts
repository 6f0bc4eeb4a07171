// Pure helpers for the projects screens: labels, and what each failure of
// AI generation or page saving means to the user (the core's error codes).
import type { ApiError, ErrorCode, Priority, TaskStatus } from "../bindings";

export const TASK_STATUSES: { value: TaskStatus; label: string }[] = [
  { value: "todo", label: "To do" },
  { value: "in_progress", label: "In progress" },
  { value: "done", label: "Done" },
];

export const PRIORITIES: { value: Priority; label: string }[] = [
  { value: "low", label: "Low" },
  { value: "medium", label: "Medium" },
  { value: "high", label: "High" },
  { value: "urgent", label: "Urgent" },
];

export function statusLabel(status: TaskStatus): string {
  return TASK_STATUSES.find((s) => s.value === status)?.label ?? status;
}

export function priorityLabel(priority: Priority): string {
  return PRIORITIES.find((p) => p.value === priority)?.label ?? priority;
}

/** "3 of 5 open" for a project's task counts. */
export function taskCountLabel(open: number, total: number): string {
  if (total === 0) return "No tasks";
  return `${open} of ${total} open`;
}

export const REFUNDED = "Your credits were refunded.";

/** What the user sees when an action is refused or fails. */
export type ActionError = { kind: "out-of-credits" } | { kind: "message"; text: string; refunded: boolean };

/** Show the core's own message. */
const CORE_MESSAGE = null;
/** Opens the out-of-credits dialog instead of a message (see `describe`). */
const OUT_OF_CREDITS = null;

/**
 * The words for each code when generating a project. Typed over the whole
 * `ErrorCode` union, so a new code fails the type check here until someone
 * decides what this screen says for it.
 */
const GENERATION_TEXT: Record<ErrorCode, string | null> = {
  // Input and lookups (core)
  invalid_input: CORE_MESSAGE,
  not_found: CORE_MESSAGE,
  // Database (core)
  database_busy: CORE_MESSAGE,
  database_corrupt: CORE_MESSAGE,
  database: CORE_MESSAGE,
  database_read_only: CORE_MESSAGE,
  database_too_new: CORE_MESSAGE,
  database_migration_failed: CORE_MESSAGE,
  database_unavailable: CORE_MESSAGE,
  // Credits ledger (core)
  insufficient_credits: OUT_OF_CREDITS,
  idempotency_conflict: CORE_MESSAGE,
  not_refundable: CORE_MESSAGE,
  invalid_amount: CORE_MESSAGE,
  ledger_inconsistent: CORE_MESSAGE,
  // Model provider (core)
  provider_not_configured: "No AI model is set up yet. Add one in Settings.",
  model_not_found: CORE_MESSAGE,
  unauthorized: "The AI provider refused the API key. Check it in Settings.",
  deployment_not_found: CORE_MESSAGE,
  rate_limited: "The AI provider is busy (rate limited). Try again in a moment.",
  content_filtered: CORE_MESSAGE,
  timeout: CORE_MESSAGE,
  network: CORE_MESSAGE,
  bad_request: CORE_MESSAGE,
  bad_response: CORE_MESSAGE,
  provider_redirected: CORE_MESSAGE,
  insecure_endpoint: CORE_MESSAGE,
  // Chat (core)
  session_busy: CORE_MESSAGE,
  reply_not_saved: CORE_MESSAGE,
  too_many_attachments: CORE_MESSAGE,
  attachment_too_large: CORE_MESSAGE,
  attachment_not_text: CORE_MESSAGE,
  attachment_unsupported: CORE_MESSAGE,
  attachment_over_budget: CORE_MESSAGE,
  model_cannot_see: CORE_MESSAGE,
  attachment_unreadable: CORE_MESSAGE,
  // Settings and secrets (core)
  setting_corrupt: CORE_MESSAGE,
  keyring_unavailable: CORE_MESSAGE,
  // Billing (core)
  billing_not_configured: CORE_MESSAGE,
  billing_unauthorized: CORE_MESSAGE,
  billing_unavailable: CORE_MESSAGE,
  billing_network: CORE_MESSAGE,
  billing_bad_response: CORE_MESSAGE,
  billing_rejected: CORE_MESSAGE,
  billing_customer_mismatch: CORE_MESSAGE,
  unknown_product: CORE_MESSAGE,
  unsafe_checkout_url: CORE_MESSAGE,
  billing_redirected: CORE_MESSAGE,
  billing_insecure_endpoint: CORE_MESSAGE,
  bad_deep_link: CORE_MESSAGE,
  webhook_missing_header: CORE_MESSAGE,
  webhook_malformed: CORE_MESSAGE,
  webhook_timestamp_out_of_range: CORE_MESSAGE,
  webhook_bad_signature: CORE_MESSAGE,
  webhook_bad_secret: CORE_MESSAGE,
  sign_in_state_mismatch: CORE_MESSAGE,
  sign_in_refused: CORE_MESSAGE,
  sign_in_unavailable: CORE_MESSAGE,
  sign_in_bad_provider: CORE_MESSAGE,
  id_token_invalid: CORE_MESSAGE,
  sign_in_bad_callback: CORE_MESSAGE,
  sign_in_timed_out: CORE_MESSAGE,
  sign_in_failed: CORE_MESSAGE,
  // Project generation (core)
  invalid_model_output: "The AI answered with something that was not a usable project plan, so nothing was created.",
  model_output_truncated: "The AI's answer was cut off before the plan was complete, so nothing was created.",
  // Web scraping (core)
  bad_url: CORE_MESSAGE,
  http_error: CORE_MESSAGE,
  too_large: CORE_MESSAGE,
  not_a_web_page: CORE_MESSAGE,
  too_many_redirects: CORE_MESSAGE,
  empty_page: CORE_MESSAGE,
  redirect_to_private_address: CORE_MESSAGE,
  private_address: CORE_MESSAGE,
  page_too_complex: CORE_MESSAGE,
  extraction_timeout: CORE_MESSAGE,
  // Jobs (core)
  job_in_progress: CORE_MESSAGE,
  job_failed: CORE_MESSAGE,
  // Accounts (server)
  not_signed_in: CORE_MESSAGE,
  token_expired: CORE_MESSAGE,
  device_revoked: CORE_MESSAGE,
  refresh_token_reused: CORE_MESSAGE,
  server_not_ready: CORE_MESSAGE,
  // Hosted client (core)
  offline: CORE_MESSAGE,
  server_bad_response: CORE_MESSAGE,
  not_available_signed_in: CORE_MESSAGE,
  // Desktop shell
  shortcut_unavailable: CORE_MESSAGE,
  session_not_in_window: CORE_MESSAGE,
  open_failed: CORE_MESSAGE,
  export_failed: CORE_MESSAGE,
  // Updates (desktop shell)
  update_not_configured: CORE_MESSAGE,
  update_bad_url: CORE_MESSAGE,
  update_insecure_url: CORE_MESSAGE,
  update_bad_signature: CORE_MESSAGE,
  update_unavailable: CORE_MESSAGE,
  update_not_offered: CORE_MESSAGE,
  update_install_failed: CORE_MESSAGE,
  update_reply_streaming: CORE_MESSAGE,
  update_checkout_pending: CORE_MESSAGE,
  // Desktop UI
  ipc: CORE_MESSAGE,
  // Command-line tool
  invalid_arguments: CORE_MESSAGE,
  output_failed: CORE_MESSAGE,
  internal: CORE_MESSAGE,
};

/** The words for each code when saving a web page (typed like `GENERATION_TEXT`). */
const SCRAPE_TEXT: Record<ErrorCode, string | null> = {
  // Input and lookups (core)
  invalid_input: CORE_MESSAGE,
  not_found: "The page was not found (404). Check the address.",
  // Database (core)
  database_busy: CORE_MESSAGE,
  database_corrupt: CORE_MESSAGE,
  database: CORE_MESSAGE,
  database_read_only: CORE_MESSAGE,
  database_too_new: CORE_MESSAGE,
  database_migration_failed: CORE_MESSAGE,
  database_unavailable: CORE_MESSAGE,
  // Credits ledger (core)
  insufficient_credits: OUT_OF_CREDITS,
  idempotency_conflict: CORE_MESSAGE,
  not_refundable: CORE_MESSAGE,
  invalid_amount: CORE_MESSAGE,
  ledger_inconsistent: CORE_MESSAGE,
  // Model provider (core)
  provider_not_configured: "No AI model is set up yet. Add one in Settings.",
  model_not_found: CORE_MESSAGE,
  unauthorized: "The AI provider refused the API key. Check it in Settings.",
  deployment_not_found: CORE_MESSAGE,
  rate_limited: "The AI provider is busy (rate limited). Try again in a moment.",
  content_filtered: CORE_MESSAGE,
  timeout: "The website took too long to answer.",
  network: "Could not reach the website. Check the address and your connection.",
  bad_request: CORE_MESSAGE,
  bad_response: CORE_MESSAGE,
  provider_redirected: CORE_MESSAGE,
  insecure_endpoint: CORE_MESSAGE,
  // Chat (core)
  session_busy: CORE_MESSAGE,
  reply_not_saved: CORE_MESSAGE,
  too_many_attachments: CORE_MESSAGE,
  attachment_too_large: CORE_MESSAGE,
  attachment_not_text: CORE_MESSAGE,
  attachment_unsupported: CORE_MESSAGE,
  attachment_over_budget: CORE_MESSAGE,
  model_cannot_see: CORE_MESSAGE,
  attachment_unreadable: CORE_MESSAGE,
  // Settings and secrets (core)
  setting_corrupt: CORE_MESSAGE,
  keyring_unavailable: CORE_MESSAGE,
  // Billing (core)
  billing_not_configured: CORE_MESSAGE,
  billing_unauthorized: CORE_MESSAGE,
  billing_unavailable: CORE_MESSAGE,
  billing_network: CORE_MESSAGE,
  billing_bad_response: CORE_MESSAGE,
  billing_rejected: CORE_MESSAGE,
  billing_customer_mismatch: CORE_MESSAGE,
  unknown_product: CORE_MESSAGE,
  unsafe_checkout_url: CORE_MESSAGE,
  billing_redirected: CORE_MESSAGE,
  billing_insecure_endpoint: CORE_MESSAGE,
  bad_deep_link: CORE_MESSAGE,
  webhook_missing_header: CORE_MESSAGE,
  webhook_malformed: CORE_MESSAGE,
  webhook_timestamp_out_of_range: CORE_MESSAGE,
  webhook_bad_signature: CORE_MESSAGE,
  webhook_bad_secret: CORE_MESSAGE,
  sign_in_state_mismatch: CORE_MESSAGE,
  sign_in_refused: CORE_MESSAGE,
  sign_in_unavailable: CORE_MESSAGE,
  sign_in_bad_provider: CORE_MESSAGE,
  id_token_invalid: CORE_MESSAGE,
  sign_in_bad_callback: CORE_MESSAGE,
  sign_in_timed_out: CORE_MESSAGE,
  sign_in_failed: CORE_MESSAGE,
  // Project generation (core)
  invalid_model_output: CORE_MESSAGE,
  model_output_truncated: CORE_MESSAGE,
  // Web scraping (core)
  bad_url: "That address cannot be saved. Use a web address starting with http:// or https://.",
  http_error: "The website answered with an error, so the page could not be saved.",
  too_large: "The page is too large to save (over 5 MB).",
  not_a_web_page: "That address is not a web page (for example a PDF or an image). Only HTML and plain text can be saved.",
  too_many_redirects: "The website redirected too many times.",
  empty_page: "The page had no readable text to save.",
  redirect_to_private_address: "The website tried to send Banter to an address on your own computer or network, so the page was not saved.",
  private_address: "That address leads to this computer or a private network; only public web pages can be saved here.",
  page_too_complex: "The page is too complex to read (too deeply nested or too many elements).",
  extraction_timeout: "Reading the page's text took too long.",
  // Jobs (core)
  job_in_progress: CORE_MESSAGE,
  job_failed: CORE_MESSAGE,
  // Accounts (server)
  not_signed_in: CORE_MESSAGE,
  token_expired: CORE_MESSAGE,
  device_revoked: CORE_MESSAGE,
  refresh_token_reused: CORE_MESSAGE,
  server_not_ready: CORE_MESSAGE,
  // Hosted client (core)
  offline: CORE_MESSAGE,
  server_bad_response: CORE_MESSAGE,
  not_available_signed_in: CORE_MESSAGE,
  // Desktop shell
  shortcut_unavailable: CORE_MESSAGE,
  session_not_in_window: CORE_MESSAGE,
  open_failed: CORE_MESSAGE,
  export_failed: CORE_MESSAGE,
  // Updates (desktop shell)
  update_not_configured: CORE_MESSAGE,
  update_bad_url: CORE_MESSAGE,
  update_insecure_url: CORE_MESSAGE,
  update_bad_signature: CORE_MESSAGE,
  update_unavailable: CORE_MESSAGE,
  update_not_offered: CORE_MESSAGE,
  update_install_failed: CORE_MESSAGE,
  update_reply_streaming: CORE_MESSAGE,
  update_checkout_pending: CORE_MESSAGE,
  // Desktop UI
  ipc: CORE_MESSAGE,
  // Command-line tool
  invalid_arguments: CORE_MESSAGE,
  output_failed: CORE_MESSAGE,
  internal: CORE_MESSAGE,
};

/** Codes whose credits the core gives back after a generation failed. */
const GENERATION_REFUNDED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["invalid_model_output", "model_output_truncated"]);
/** Codes whose credits the core gives back after a scrape failed (`bad_url` is refused before any charge). */
const SCRAPE_REFUNDED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "not_found",
  "http_error",
  "timeout",
  "too_large",
  "not_a_web_page",
  "too_many_redirects",
  "network",
  "empty_page",
  "redirect_to_private_address",
  "page_too_complex",
  "extraction_timeout",
]);

function describe(error: ApiError, texts: Record<ErrorCode, string | null>, refundedCodes: ReadonlySet<ErrorCode>): ActionError {
  if (error.code === "insufficient_credits") return { kind: "out-of-credits" };
  const refunded = refundedCodes.has(error.code);
  const base = texts[error.code] ?? error.message;
  return { kind: "message", text: refunded ? `${base} ${REFUNDED}` : base, refunded };
}

export function generationError(error: ApiError): ActionError {
  return describe(error, GENERATION_TEXT, GENERATION_REFUNDED);
}

export function scrapeError(error: ApiError): ActionError {
  return describe(error, SCRAPE_TEXT, SCRAPE_REFUNDED);
}

export function createdToast(taskCount: number): string {
  return `Project created with ${taskCount} ${taskCount === 1 ? "task" : "tasks"}`;
}

/** The first `max` characters of a saved page's text, cut at a word. */
export function excerpt(text: string, max = 280): { text: string; more: boolean } {
  if (text.length <= max) return { text, more: false };
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return { text: `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`, more: true };
}
