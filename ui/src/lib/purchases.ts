// Pure helpers for the pricing page and the purchase dialog: labels, error
// wording, and which fulfilment news deserves a toast.
import type { ApiError, ErrorCode, Fulfilled, ProductInfo } from "../bindings";

/** "$5", "$4.99", "$20/month" from US cents. */
export function priceLabel(cents: number, monthly = false): string {
  const dollars = cents % 100 === 0 ? String(cents / 100) : (cents / 100).toFixed(2);
  return `$${dollars}${monthly ? "/month" : ""}`;
}

/**
 * A product id (also the loose `string` of pending checkouts) as people
 * read it: the name the core gave it in `list_products`, else the id.
 */
export function productLabel(product: string, products: readonly Pick<ProductInfo, "product" | "name">[]): string {
  return products.find((p) => p.product === product)?.name ?? product;
}

/** What a product gives, for its card. `chatCost` is credits per message (null: not known yet). */
export function productGives(info: Pick<ProductInfo, "credits" | "monthly">, chatCost: number | null): string {
  if (info.credits == null) return "Unlimited chat, projects and scraping while subscribed; cancel any time.";
  if (chatCost === null) return "Purchased credits never expire.";
  const messages = Math.floor(info.credits / Math.max(1, chatCost));
  return `About ${messages.toLocaleString("en-US")} chat messages. Purchased credits never expire.`;
}

/** The success toast: "+500 credits added" or "Pro is active". */
export function fulfilledMessage(product: string, credits: number | null | undefined): string {
  if (product === "pro" || credits == null || credits === 0) return "Pro is active";
  return `+${credits.toLocaleString("en-US")} credits added`;
}

/** Show the core's own message. */
const CORE_MESSAGE = null;
const UNREACHABLE = "Autumn can't be reached; nothing was charged. Try again in a moment.";

/**
 * The words for each code when a checkout could not start. Typed over the
 * whole `ErrorCode` union, so a new code fails the type check here until
 * someone decides what the purchase dialog says for it.
 */
const CHECKOUT_TEXT: Record<ErrorCode, string | null> = {
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
  insufficient_credits: CORE_MESSAGE,
  idempotency_conflict: CORE_MESSAGE,
  not_refundable: CORE_MESSAGE,
  invalid_amount: CORE_MESSAGE,
  ledger_inconsistent: CORE_MESSAGE,
  // Model provider (core)
  provider_not_configured: CORE_MESSAGE,
  model_not_found: CORE_MESSAGE,
  unauthorized: CORE_MESSAGE,
  deployment_not_found: CORE_MESSAGE,
  rate_limited: CORE_MESSAGE,
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
  billing_not_configured: "Purchases are not set up on this machine (no Autumn key is configured). Nothing was charged.",
  billing_unauthorized: CORE_MESSAGE,
  billing_unavailable: UNREACHABLE,
  billing_network: UNREACHABLE,
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

/** Why a checkout could not start, in words that say what to do. */
export function checkoutErrorMessage(error: ApiError): string {
  return CHECKOUT_TEXT[error.code] ?? (error.message || `Something went wrong (${error.code}). Nothing was charged.`);
}

type Seen = { key: string; at: number };

/**
 * One toast per fulfilled purchase although the news may come twice: as a
 * `purchase_fulfilled` core event and in a reconcile report (the return
 * link's `done` or the "check now" answer), in either order. Each source
 * consumes a matching unconsumed entry of the other; entries expire.
 */
export class FulfilmentAnnouncer {
  private events: Seen[] = [];
  private reports: Seen[] = [];

  constructor(private readonly ttlMs = 30_000) {}

  /** A core event; true when it should be announced. */
  fromEvent(product: string, credits: number | null | undefined, now = Date.now()): boolean {
    this.expire(now);
    return this.take(this.reports, this.events, `${product}:${credits ?? 0}`, now);
  }

  /** A report's fulfilled list; the items to announce. */
  fromReport(fulfilled: Fulfilled[], now = Date.now()): Fulfilled[] {
    this.expire(now);
    return fulfilled.filter((f) => this.take(this.events, this.reports, `${f.product}:${f.credits ?? 0}`, now));
  }

  private take(other: Seen[], mine: Seen[], key: string, now: number): boolean {
    const i = other.findIndex((s) => s.key === key);
    if (i >= 0) {
      other.splice(i, 1);
      return false;
    }
    mine.push({ key, at: now });
    return true;
  }

  private expire(now: number): void {
    const fresh = (s: Seen) => now - s.at < this.ttlMs;
    this.events = this.events.filter(fresh);
    this.reports = this.reports.filter(fresh);
  }
}
