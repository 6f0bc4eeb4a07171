import { beforeEach, describe, expect, it, vi } from "vitest";
import type { InstallBlockers, UpdateOffer_Serialize as UpdateOffer } from "../bindings";

const mock = vi.hoisted(() => ({
  checkForUpdate: vi.fn(),
  updateBlockers: vi.fn(),
  installUpdate: vi.fn(),
}));
vi.mock("./api", async (importOriginal) => {
  const real = await importOriginal<typeof import("./api")>();
  return { ...real, api: mock };
});

import { ApiFailure } from "./api";
import { blockerReason, publishedOn, updateErrorMessage } from "./updates";
import { UpdatesStore } from "./updates.svelte";

const OFFER: UpdateOffer = { version: "0.2.0", currentVersion: "0.1.0", notes: "Fixes", date: "2026-11-25T09:00:00Z" };
const blockers = (repliesStreaming: number, checkoutsPending: number): InstallBlockers => ({ repliesStreaming, checkoutsPending });
const refusal = (code: string, message = "m") => new ApiFailure({ code: code as never, message });

describe("update words", () => {
  it("says why the install waits, a reply first", () => {
    expect(blockerReason(null)).toBeNull();
    expect(blockerReason(blockers(0, 0))).toBeNull();
    expect(blockerReason(blockers(1, 0))).toMatch(/a reply is still streaming/);
    expect(blockerReason(blockers(2, 0))).toMatch(/2 replies are still streaming/);
    expect(blockerReason(blockers(0, 1))).toMatch(/a checkout is waiting for payment/);
    expect(blockerReason(blockers(1, 3))).toMatch(/reply/);
  });

  it("explains update refusals and passes other codes' messages through", () => {
    expect(updateErrorMessage({ code: "update_bad_signature", message: "x" })).toMatch(/discarded/);
    expect(updateErrorMessage({ code: "update_not_configured", message: "x" })).toMatch(/no update server/);
    expect(updateErrorMessage({ code: "database_busy", message: "The database is busy" })).toBe("The database is busy");
  });

  it("formats the publication date in UTC, and nothing for none or garbage", () => {
    expect(publishedOn("2026-11-25T23:30:00Z")).toBe("November 25, 2026");
    expect(publishedOn(null)).toBeNull();
    expect(publishedOn("not a date")).toBeNull();
  });
});

describe("UpdatesStore", () => {
  beforeEach(() => {
    vi.resetAllMocks();
  });

  it("offers a newer version and reads what would stop its install", async () => {
    mock.checkForUpdate.mockResolvedValue(OFFER);
    mock.updateBlockers.mockResolvedValue(blockers(0, 0));
    const store = new UpdatesStore();
    await store.check();
    expect(store.phase).toBe("offered");
    expect(store.offer).toEqual(OFFER);
    expect(store.canInstall).toBe(true);
  });

  it("says up to date when nothing newer is offered, without asking for blockers", async () => {
    mock.checkForUpdate.mockResolvedValue(null);
    const store = new UpdatesStore();
    await store.check();
    expect(store.phase).toBe("current");
    expect(store.canInstall).toBe(false);
    expect(mock.updateBlockers).not.toHaveBeenCalled();
  });

  it("keeps a failed check's error and offers nothing", async () => {
    mock.checkForUpdate.mockRejectedValue(refusal("update_unavailable"));
    const store = new UpdatesStore();
    await store.check();
    expect(store.phase).toBe("idle");
    expect(store.error?.code).toBe("update_unavailable");
    expect(store.offer).toBeNull();
  });

  it("disables the install while a reply streams, and enables it once it ends", async () => {
    mock.checkForUpdate.mockResolvedValue(OFFER);
    mock.updateBlockers.mockResolvedValueOnce(blockers(1, 0)).mockResolvedValueOnce(blockers(0, 0));
    const store = new UpdatesStore();
    await store.check();
    expect(store.canInstall).toBe(false);
    expect(store.waitingFor).toMatch(/streaming/);
    await store.install();
    expect(mock.installUpdate).not.toHaveBeenCalled();
    await store.refreshBlockers();
    expect(store.canInstall).toBe(true);
  });

  it("installs the offered version by its number", async () => {
    mock.checkForUpdate.mockResolvedValue(OFFER);
    mock.updateBlockers.mockResolvedValue(blockers(0, 0));
    mock.installUpdate.mockResolvedValue(null);
    const store = new UpdatesStore();
    await store.check();
    await store.install();
    expect(mock.installUpdate).toHaveBeenCalledWith("0.2.0");
    expect(store.error).toBeNull();
  });

  it("keeps the offer when the core says not now, and re-reads the reasons", async () => {
    mock.checkForUpdate.mockResolvedValue(OFFER);
    mock.updateBlockers.mockResolvedValueOnce(blockers(0, 0)).mockResolvedValueOnce(blockers(0, 1));
    mock.installUpdate.mockRejectedValue(refusal("update_checkout_pending"));
    const store = new UpdatesStore();
    await store.check();
    await store.install();
    expect(store.phase).toBe("offered");
    expect(store.error?.code).toBe("update_checkout_pending");
    expect(store.waitingFor).toMatch(/checkout/);
    expect(store.canInstall).toBe(false);
  });

  it("drops an offer the server no longer makes", async () => {
    mock.checkForUpdate.mockResolvedValue(OFFER);
    mock.updateBlockers.mockResolvedValue(blockers(0, 0));
    mock.installUpdate.mockRejectedValue(refusal("update_not_offered"));
    const store = new UpdatesStore();
    await store.check();
    await store.install();
    expect(store.offer).toBeNull();
    expect(store.phase).toBe("idle");
    expect(store.error?.code).toBe("update_not_offered");
  });

  it("leaves the decision to the core when the reasons cannot be read", async () => {
    mock.checkForUpdate.mockResolvedValue(OFFER);
    mock.updateBlockers.mockRejectedValue(refusal("offline"));
    const store = new UpdatesStore();
    await store.check();
    expect(store.blockers).toBeNull();
    expect(store.canInstall).toBe(true);
  });
});
