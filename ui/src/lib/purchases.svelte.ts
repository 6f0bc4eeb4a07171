// Products, the purchase status, and the purchase dialog. Credits are only
// ever granted by the core's reconcile; this store shows where a purchase
// stands and announces what the core reports as fulfilled.
import type {
  ApiError,
  DomainEvent,
  PendingCheckout,
  Product,
  ProductInfo,
  PurchaseCheck,
  ReconcileReport,
} from "../bindings";
import { api, asApiError } from "./api";
import { credits } from "./credits.svelte";
import { FulfilmentAnnouncer, checkoutErrorMessage, fulfilledMessage } from "./purchases";
import { toasts } from "./toasts.svelte";

/** opening: asking for a checkout; pending: paying in the browser; checking: asking Autumn; error: the checkout failed. */
export type DialogPhase = "opening" | "pending" | "checking" | "error";

export class PurchasesStore {
  products = $state.raw<ProductInfo[]>([]);
  /** null until the status is known. */
  configured = $state<boolean | null>(null);
  pending = $state.raw<PendingCheckout[]>([]);
  loadError = $state<ApiError | null>(null);

  dialogOpen = $state(false);
  product = $state<Product | null>(null);
  phase = $state<DialogPhase>("opening");
  /** A note under the pending text (e.g. "not confirmed yet") or the error. */
  note = $state<string | null>(null);
  /** A "check now" from the pending list is running. */
  checking = $state(false);

  private announcer = new FulfilmentAnnouncer();

  async load(): Promise<void> {
    try {
      const [products, status] = await Promise.all([api.listProducts(), api.purchaseStatus()]);
      this.products = products;
      this.configured = status.configured;
      this.pending = status.pending;
      this.loadError = null;
    } catch (e) {
      this.loadError = asApiError(e);
    }
  }

  async refreshStatus(): Promise<void> {
    try {
      const status = await api.purchaseStatus();
      this.configured = status.configured;
      this.pending = status.pending;
    } catch {
      // The page keeps what it showed; the next action reports errors.
    }
  }

  /** Buy: ask the core for a checkout (it opens the browser), then wait. */
  async buy(product: Product): Promise<void> {
    this.product = product;
    this.phase = "opening";
    this.note = null;
    this.dialogOpen = true;
    try {
      await api.startCheckout(product);
      if (this.product === product && this.phase === "opening") this.phase = "pending";
    } catch (e) {
      const error = asApiError(e);
      if (error.code === "billing_not_configured") this.configured = false;
      this.phase = "error";
      this.note = checkoutErrorMessage(error);
    }
    void this.refreshStatus();
  }

  /** "I've paid — check now" (in the dialog or the pending list). */
  async checkNow(): Promise<void> {
    const inDialog = this.dialogOpen;
    if (inDialog) {
      this.phase = "checking";
      this.note = null;
    }
    this.checking = true;
    try {
      const report = await api.syncPurchases();
      const announced = this.onReport(report);
      if (!announced && this.dialogOpen) {
        this.phase = "pending";
        this.note = "Autumn hasn't confirmed the payment yet. We'll keep checking in the background.";
      } else if (!announced && !inDialog) {
        toasts.show("No new payment yet. We'll keep checking in the background.", "info");
      }
    } catch (e) {
      const message = asApiError(e).message;
      if (this.dialogOpen) {
        this.phase = "pending";
        this.note = `The check failed: ${message}. Your purchase stays pending.`;
      } else {
        toasts.show(`The check failed: ${message}`, "error");
      }
    } finally {
      this.checking = false;
    }
  }

  /** Cancel: close the dialog; the checkout stays pending and is reconciled later. */
  cancel(): void {
    const wasPending = this.phase === "pending" || this.phase === "checking";
    this.dialogOpen = false;
    if (wasPending) {
      toasts.show("Purchase still pending: if you complete the payment, the credits are added automatically.", "info");
    }
    void this.refreshStatus();
  }

  onCoreEvent(event: DomainEvent): void {
    if (event.type !== "purchase_fulfilled") return;
    if (this.announcer.fromEvent(event.product, event.credits)) this.succeed(fulfilledMessage(event.product, event.credits));
  }

  /** The return link's progress, sent by the shell. */
  onPurchaseCheck(check: PurchaseCheck): void {
    if (check.state === "checking") {
      if (this.dialogOpen && this.phase !== "error") {
        this.phase = "checking";
        this.note = null;
      } else {
        toasts.show("Checking your purchase…", "info", 4000);
      }
    } else if (check.state === "done") {
      const announced = check.report ? this.onReport(check.report) : false;
      if (!announced && this.dialogOpen && this.phase === "checking") {
        this.phase = "pending";
        this.note = "Autumn hasn't confirmed the payment yet. We'll keep checking in the background.";
      }
    } else {
      const message = check.error?.message ?? "The purchase could not be checked.";
      toasts.show(`Checking your purchase failed: ${message}`, "error");
      if (this.dialogOpen && this.phase === "checking") {
        this.phase = "pending";
        this.note = "The check failed; your purchase stays pending and is checked again later.";
      }
    }
  }

  /** A reconcile report; true when something new was fulfilled. */
  private onReport(report: ReconcileReport): boolean {
    this.pending = report.pending;
    const fresh = this.announcer.fromReport(report.fulfilled);
    for (const f of fresh) this.succeed(fulfilledMessage(f.product, f.credits));
    if (report.fulfilled.length > 0 && fresh.length === 0) this.closeAfterSuccess();
    return report.fulfilled.length > 0;
  }

  private succeed(message: string): void {
    toasts.show(message, "success");
    this.closeAfterSuccess();
  }

  private closeAfterSuccess(): void {
    if (this.phase !== "error") this.dialogOpen = false;
    this.note = null;
    void credits.refresh();
    void this.refreshStatus();
  }
}

export const purchases = new PurchasesStore();
