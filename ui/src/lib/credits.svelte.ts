// The balance and prices every screen shows, kept fresh from core events.
import type { ApiError, Balance, Costs, DomainEvent } from "../bindings";
import { api, asApiError } from "./api";
import { connection } from "./connection.svelte";
import { LowBalanceWatch, canAfford } from "./credits";
import { toasts } from "./toasts.svelte";

class CreditsStore {
  balance = $state<Balance | null>(null);
  costs = $state<Costs | null>(null);
  error = $state<ApiError | null>(null);
  /** The blocking "You're out of credits" dialog. */
  outOfCredits = $state(false);
  /** What the dialog says was refused; null means a chat message. */
  outOfCreditsFor = $state<{ what: string; cost: number | null } | null>(null);
  private watch = new LowBalanceWatch();

  /** Credits per chat message; null until the core has said. */
  get chatCost(): number | null {
    return this.costs?.chatMessage ?? null;
  }

  async load(): Promise<void> {
    // The prices are the core's own: known even when the balance (the
    // server's, signed in) cannot be read.
    await this.refresh();
    try {
      this.costs = await api.getCosts();
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  async refresh(): Promise<void> {
    try {
      this.set(await api.getCredits());
      this.error = null;
    } catch (e) {
      this.error = asApiError(e);
      connection.sawError(this.error);
    }
  }

  /** A balance from the core (fetch or send result). */
  set(balance: Balance): void {
    this.balance = balance;
    if (this.watch.observe(balance)) this.warnLow(balance.remaining);
  }

  onEvent(event: DomainEvent): void {
    if (event.type === "credits_changed") void this.refresh();
    if (event.type === "credits_low" && this.watch.lowEvent()) this.warnLow(event.remaining);
  }

  /** Checked before a send; opens the dialog when the balance cannot cover it. */
  affordsChat(): boolean {
    if (canAfford(this.balance, this.chatCost)) return true;
    this.outOfCreditsFor = null;
    this.outOfCredits = true;
    return false;
  }

  /** The dialog for another paid action (`what` like "Generating a project"). */
  showOutOfCredits(what: string, cost: number | null): void {
    this.outOfCreditsFor = { what, cost };
    this.outOfCredits = true;
  }

  /** Checked before a paid action other than chat; opens the dialog when short. */
  affords(what: string, cost: number | null): boolean {
    if (canAfford(this.balance, cost)) return true;
    this.showOutOfCredits(what, cost);
    return false;
  }

  private warnLow(remaining: number): void {
    toasts.show(`Running low: ${remaining} ${remaining === 1 ? "credit" : "credits"} left.`, "warning");
  }
}

export const credits = new CreditsStore();
