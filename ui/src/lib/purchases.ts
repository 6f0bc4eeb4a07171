// Pure helpers for the pricing page and the purchase dialog: labels, error
// wording, and which fulfilment news deserves a toast.
import type { ApiError, Fulfilled, ProductInfo } from "../bindings";

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

/** Why a checkout could not start, in words that say what to do. */
export function checkoutErrorMessage(error: ApiError): string {
  switch (error.code) {
    case "billing_not_configured":
      return "Purchases are not set up on this machine (no Autumn key is configured). Nothing was charged.";
    case "billing_unavailable":
    case "billing_network":
      return "Autumn can't be reached; nothing was charged. Try again in a moment.";
    default:
      return error.message || `Something went wrong (${error.code}). Nothing was charged.`;
  }
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
