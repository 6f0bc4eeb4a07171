// What the user sees when a send is refused or a reply fails.
import type { ApiError, ErrorCode } from "../bindings";

export type SendErrorAction = { kind: "out-of-credits" } | { kind: "fatal" } | { kind: "toast"; text: string };

const OUT_OF_CREDITS: SendErrorAction = { kind: "out-of-credits" };
/** The local data cannot be trusted (every `database*` code). */
const FATAL: SendErrorAction = { kind: "fatal" };
/** Toast the core's own message. */
const CORE_MESSAGE = null;
const toast = (text: string): SendErrorAction => ({ kind: "toast", text });
/** Words that depend on the error (a name it carries). */
type FromError = (error: ApiError) => SendErrorAction;

/** The chat names a model that is gone: which one (from the core's message, when it quotes it), and what to do. */
export function modelNotFoundText(error: Pick<ApiError, "message">): string {
  const name = /"([^"]+)"/.exec(error.message)?.[1];
  const what = name ? `No model called "${name}" is configured any more.` : "This chat's model is not configured any more.";
  return `${what} Choose another model for this chat in the model picker beside the message box.`;
}

/**
 * Every code the core can send, and what a failed send does with it. Typed
 * over the whole `ErrorCode` union, so a new code fails the type check here
 * until someone decides how a send shows it.
 */
const SEND_ERRORS: Record<ErrorCode, SendErrorAction | FromError | typeof CORE_MESSAGE> = {
  // Input and lookups (core)
  invalid_input: CORE_MESSAGE,
  not_found: CORE_MESSAGE,
  // Database (core)
  database_busy: FATAL,
  database_corrupt: FATAL,
  database: FATAL,
  database_read_only: FATAL,
  database_too_new: FATAL,
  database_migration_failed: FATAL,
  database_unavailable: FATAL,
  // Credits ledger (core)
  insufficient_credits: OUT_OF_CREDITS,
  idempotency_conflict: CORE_MESSAGE,
  not_refundable: CORE_MESSAGE,
  invalid_amount: CORE_MESSAGE,
  ledger_inconsistent: CORE_MESSAGE,
  // Model provider (core)
  provider_not_configured: toast("No AI model is set up yet. Add one in Settings."),
  model_not_found: (error) => toast(modelNotFoundText(error)),
  unauthorized: toast("The AI provider refused the API key. Check it in Settings."),
  deployment_not_found: toast("The AI provider does not know that deployment or model. Check Settings."),
  rate_limited: toast("The AI provider is busy (rate limited). Try again in a moment."),
  content_filtered: toast("The provider's content filter stopped this reply."),
  timeout: toast("The AI provider took too long to answer."),
  network: toast("Could not reach the AI provider. Check your connection."),
  bad_request: CORE_MESSAGE,
  bad_response: CORE_MESSAGE,
  provider_redirected: toast("The AI provider's endpoint answered with a redirect, which Banter does not follow. Check the endpoint in Settings."),
  insecure_endpoint: toast("That endpoint uses plain http to another computer. Use https (plain http is allowed only for this computer)."),
  // Chat (core)
  session_busy: toast("A reply is still being written in this chat. Stop it or wait for it to finish."),
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
  keyring_unavailable: toast("The system keyring is not available, so the API key could not be read."),
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
  offline: toast("You are offline: the Banter server cannot be reached. Nothing was charged."),
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

export function sendErrorAction(error: ApiError): SendErrorAction {
  const action = SEND_ERRORS[error.code];
  if (typeof action === "function") return action(error);
  return action ?? toast(error.message);
}
