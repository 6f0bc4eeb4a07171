// Pure helpers for showing the credit balance. The thresholds mirror the
// core's `Band` (green > 50, yellow 20–50, red < 20); the core computes the
// band and these only format what it sent.
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
