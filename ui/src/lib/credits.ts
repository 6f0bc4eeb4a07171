// Pure helpers for showing the credit balance. The core decides every rule
// (the band, whether the balance is low, the prices); these only format what
// it sent.
import type { Balance, Band } from "../bindings";

export function creditLabel(balance: Pick<Balance, "remaining" | "pro">): string {
  if (balance.pro) return "Pro · unlimited";
  const n = balance.remaining;
  return `${n.toLocaleString("en-US")} ${n === 1 ? "credit" : "credits"}`;
}

export function bandClass(band: Band): string {
  return `band-${band}`;
}

/** "Resets Dec 1" from the core's next-reset timestamp (shown in UTC). */
export function resetLabel(nextReset: string): string {
  const date = new Date(nextReset);
  if (Number.isNaN(date.getTime())) return "";
  const day = date.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
  return `Resets ${day}`;
}

/** "3 credits"; "… credits" while the core has not said the price yet. */
export function costLabel(cost: number | null): string {
  return `${cost ?? "…"} credits`;
}

/** An action's price as shown beside it: "3 credits", or "Included in Pro" while Pro is active. */
export function priceLabel(cost: number | null, balance: Pick<Balance, "pro"> | null): string {
  return balance?.pro ? "Included in Pro" : costLabel(cost);
}

/** Whether a balance covers an action costing `cost` (Pro pays nothing). */
export function canAfford(balance: Pick<Balance, "remaining" | "pro"> | null, cost: number | null): boolean {
  if (!balance || cost === null) return true; // unknown yet: let the core decide
  return balance.pro || balance.remaining >= cost;
}

/**
 * Decides when to show the "running low" toast: once per stretch of low
 * balances (the core's `Balance.low`), whether the news comes from a
 * `credits_low` event, a send result or both; it re-arms when the core
 * says the balance is no longer low.
 */
export class LowBalanceWatch {
  private warned = false;

  /** A new balance; true when the toast should be shown now. */
  observe(balance: Pick<Balance, "low" | "pro">): boolean {
    if (balance.pro || !balance.low) {
      this.warned = false;
      return false;
    }
    if (this.warned) return false;
    // Crossing below, or the first balance seen is low already: say so once.
    this.warned = true;
    return true;
  }

  /** The core's `credits_low` event; true when the toast should be shown now. */
  lowEvent(): boolean {
    if (this.warned) return false;
    this.warned = true;
    return true;
  }
}

/** "+500", "−3" for ledger amounts. */
export function signedAmount(n: number): string {
  if (n > 0) return `+${n.toLocaleString("en-US")}`;
  if (n < 0) return `−${Math.abs(n).toLocaleString("en-US")}`;
  return "0";
}

const KIND_LABELS: Record<string, string> = {
  signup_grant: "Welcome credits",
  monthly_reset: "Monthly reset",
  spend: "Spent",
  refund: "Refund",
  purchase: "Purchase",
};
const ACTION_LABELS: Record<string, string> = {
  chat_message: "Chat message",
  project_generation: "Project generation",
  url_scrape: "URL scrape",
};

/** What a ledger row was for, in words: "Spent · Chat message". */
export function ledgerLabel(entry: { kind: string; action?: string | null }): string {
  const kind = KIND_LABELS[entry.kind] ?? entry.kind;
  const action = entry.action ? (ACTION_LABELS[entry.action] ?? entry.action) : null;
  return action ? `${kind} · ${action}` : kind;
}

/** "Dec 1, 2026" in UTC, as the core stores dates. */
export function shortDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
}

/** The `performance` mark set when a window first shows a balance: how
 * `make bench-app` (tests/e2e/bench_app.py) times "the balance on screen"
 * from the page's own clock, without polling the page while it starts. */
export const BALANCE_SHOWN_MARK = "banter:balance-shown";

/** Sets [`BALANCE_SHOWN_MARK`] once per page. */
export function markBalanceShown(): void {
  if (performance.getEntriesByName(BALANCE_SHOWN_MARK).length === 0) performance.mark(BALANCE_SHOWN_MARK);
}
