import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Fulfilled, ReconcileReport } from "../bindings";

const mock = vi.hoisted(() => ({
  listProducts: vi.fn(),
  purchaseStatus: vi.fn(),
  startCheckout: vi.fn(),
  syncPurchases: vi.fn(),
  getCredits: vi.fn(),
}));
vi.mock("./api", async (importOriginal) => {
  const real = await importOriginal<typeof import("./api")>();
  return { ...real, api: mock };
});

import { ApiFailure } from "./api";
import { FulfilmentAnnouncer, checkoutErrorMessage, fulfilledMessage, priceLabel, productGives, productLabel } from "./purchases";
import { PurchasesStore } from "./purchases.svelte";
import { toasts } from "./toasts.svelte";

const f = (product: Fulfilled["product"], credits: number, invoiceId = "in_1"): Fulfilled => ({ invoiceId, product, credits });
const report = (fulfilled: Fulfilled[] = []): ReconcileReport => ({ fulfilled, proUntil: null, pending: [] });
const texts = () => toasts.list.map((t) => `${t.kind}: ${t.text}`);

describe("purchase helpers", () => {
  it("formats prices from cents", () => {
    expect(priceLabel(500)).toBe("$5");
    expect(priceLabel(4000)).toBe("$40");
    expect(priceLabel(499)).toBe("$4.99");
    expect(priceLabel(2000, true)).toBe("$20/month");
  });

  it("names products and says what they give", () => {
    // The names are the core's (`list_products`), not the UI's.
    const products = [{ product: "credits_1000" as const, name: "1000 credits" }, { product: "pro" as const, name: "Pro" }];
    expect(productLabel("credits_1000", products)).toBe("1000 credits");
    expect(productLabel("pro", products)).toBe("Pro");
    expect(productLabel("mystery", products)).toBe("mystery");
    expect(productLabel("pro", [])).toBe("pro");
    expect(productGives({ credits: 500, monthly: false }, 3)).toBe("About 166 chat messages. Purchased credits never expire.");
    expect(productGives({ credits: null, monthly: true }, 3)).toMatch(/^Unlimited/);
    expect(productGives({ credits: 500, monthly: false }, null)).toBe("Purchased credits never expire.");
  });

  it("words the success toast", () => {
    expect(fulfilledMessage("credits_500", 500)).toBe("+500 credits added");
    expect(fulfilledMessage("credits_5000", 5000)).toBe("+5,000 credits added");
    expect(fulfilledMessage("pro", null)).toBe("Pro is active");
    expect(fulfilledMessage("pro", 0)).toBe("Pro is active");
  });

  it("explains checkout errors", () => {
    expect(checkoutErrorMessage({ code: "billing_not_configured", message: "x" })).toMatch(/not set up on this machine/);
    expect(checkoutErrorMessage({ code: "billing_unavailable", message: "x" })).toBe(
      "Autumn can't be reached; nothing was charged. Try again in a moment.",
    );
    expect(checkoutErrorMessage({ code: "billing_network", message: "x" })).toMatch(/can't be reached/);
    expect(checkoutErrorMessage({ code: "unsafe_checkout_url", message: "The payment page is not on an allowed host" })).toBe(
      "The payment page is not on an allowed host",
    );
  });
});

describe("one toast per fulfilment", () => {
  it("pairs an event with the report in either order", () => {
    const a = new FulfilmentAnnouncer();
    expect(a.fromEvent("credits_500", 500, 0)).toBe(true);
    expect(a.fromReport([f("credits_500", 500)], 10)).toEqual([]);
    expect(a.fromReport([f("credits_1000", 1000)], 20)).toHaveLength(1);
    expect(a.fromEvent("credits_1000", 1000, 30)).toBe(false);
    // Pro: the event has credits null, the report 0.
    expect(a.fromEvent("pro", null, 40)).toBe(true);
    expect(a.fromReport([f("pro", 0)], 50)).toEqual([]);
  });

  it("announces two purchases of one pack twice, and forgets old news", () => {
    const a = new FulfilmentAnnouncer(1000);
    expect(a.fromEvent("credits_500", 500, 0)).toBe(true);
    expect(a.fromEvent("credits_500", 500, 1)).toBe(true);
    expect(a.fromReport([f("credits_500", 500, "in_1"), f("credits_500", 500, "in_2")], 2)).toEqual([]);
    expect(a.fromEvent("credits_500", 500, 10)).toBe(true);
    // Over a second later the report is news again.
    expect(a.fromReport([f("credits_500", 500)], 2000)).toHaveLength(1);
  });
});

describe("purchases store", () => {
  let store: PurchasesStore;
  beforeEach(() => {
    vi.clearAllMocks();
    toasts.list = [];
    store = new PurchasesStore();
    mock.purchaseStatus.mockResolvedValue({ configured: true, pending: [] });
    mock.getCredits.mockResolvedValue({ remaining: 600, pro: false });
  });

  it("Buy opens the dialog pending once the checkout opened", async () => {
    mock.startCheckout.mockResolvedValue({ url: "https://x", reference: "r1", product: "credits_500" });
    const buying = store.buy("credits_500");
    expect(store.dialogOpen).toBe(true);
    expect(store.phase).toBe("opening");
    await buying;
    expect(mock.startCheckout).toHaveBeenCalledWith("credits_500");
    expect(store.phase).toBe("pending");
  });

  it("a failed checkout explains itself; not configured turns Buy off", async () => {
    mock.startCheckout.mockRejectedValue(new ApiFailure({ code: "billing_network", message: "connect refused" }));
    await store.buy("credits_500");
    expect(store.phase).toBe("error");
    expect(store.note).toMatch(/nothing was charged/);
    mock.startCheckout.mockRejectedValue(new ApiFailure({ code: "billing_not_configured", message: "no key" }));
    mock.purchaseStatus.mockResolvedValue({ configured: false, pending: [] });
    await store.buy("pro");
    expect(store.configured).toBe(false);
  });

  it("a fulfilled event closes the dialog with one success toast", async () => {
    mock.startCheckout.mockResolvedValue({ url: "https://x", reference: "r1", product: "credits_500" });
    await store.buy("credits_500");
    store.onCoreEvent({ type: "purchase_fulfilled", product: "credits_500", credits: 500 });
    expect(store.dialogOpen).toBe(false);
    // The return link's report of the same purchase does not toast again.
    store.onPurchaseCheck({ state: "done", report: report([f("credits_500", 500)]), error: null });
    expect(texts()).toEqual(["success: +500 credits added"]);
    expect(mock.getCredits).toHaveBeenCalled();
  });

  it("check now: nothing yet keeps the dialog pending with a note", async () => {
    mock.startCheckout.mockResolvedValue({ url: "https://x", reference: "r1", product: "credits_500" });
    await store.buy("credits_500");
    mock.syncPurchases.mockResolvedValue(report());
    await store.checkNow();
    expect(store.dialogOpen).toBe(true);
    expect(store.phase).toBe("pending");
    expect(store.note).toMatch(/hasn't confirmed/);
    mock.syncPurchases.mockResolvedValue(report([f("pro", 0)]));
    await store.checkNow();
    expect(store.dialogOpen).toBe(false);
    expect(texts()).toEqual(["success: Pro is active"]);
  });

  it("the return link: checking, then failed, shows the error", async () => {
    store.onPurchaseCheck({ state: "checking", report: null, error: null });
    store.onPurchaseCheck({ state: "failed", report: null, error: { code: "billing_unavailable", message: "Autumn answered 503" } });
    expect(texts()).toEqual(["info: Checking your purchase…", "error: Checking your purchase failed: Autumn answered 503"]);
  });

  it("cancel closes the dialog and says the purchase stays pending", async () => {
    mock.startCheckout.mockResolvedValue({ url: "https://x", reference: "r1", product: "credits_500" });
    await store.buy("credits_500");
    store.cancel();
    expect(store.dialogOpen).toBe(false);
    expect(texts()[0]).toMatch(/still pending/);
  });
});
