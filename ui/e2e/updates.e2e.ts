// Browser test of Settings › Updates against the fake core: the offer, the
// install refused (button disabled with the reason) while a checkout is
// pending or a reply streams, and the install of the offered version.
import { describe, expect, it } from "vitest";
import { browserSuite } from "./suite";

const suite = browserSuite();

const UPDATE = { version: "0.2.0", notes: "Faster replies.\nFixes the tray icon.", date: "2026-11-24T12:00:00Z" };

async function open(seed: object, hash = "#/settings") {
  return suite.open({ seed, hash });
}

describe("updates", () => {
  it("says up to date when nothing newer is offered", async () => {
    const { page, context, errors } = await open({});
    await page.getByTestId("check-update").click();
    await page.getByTestId("update-current").waitFor();
    expect(await page.getByTestId("install-update").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("offers the version with its notes and installs it on request", async () => {
    const { page, context, errors } = await open({ update: UPDATE });
    await page.getByTestId("check-update").click();
    const offer = page.getByTestId("update-offer");
    await offer.waitFor();
    expect(await offer.textContent()).toContain("Banter 0.2.0 is available");
    expect(await offer.textContent()).toContain("November 24, 2026");
    expect(await page.getByTestId("update-notes").textContent()).toContain("Fixes the tray icon.");
    const install = page.getByTestId("install-update");
    expect(await install.isDisabled()).toBe(false);
    await install.click();
    await expect.poll(() => page.evaluate(() => (window as any).__fake.state.installed)).toBe("0.2.0");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("disables the install with the reason while a reply streams, until it ends", async () => {
    const { page, context, errors } = await open({ update: UPDATE }, "#/chat");
    await page.evaluate(() => {
      const w = window as any;
      w.__fake.state.delayMs = 150;
      w.__fake.queueReply("A long streaming answer. ".repeat(20));
    });
    const input = page.getByTestId("composer-input");
    await input.fill("Hello there");
    await input.press("Enter");
    await page.getByTestId("typing-indicator").waitFor();
    await page.evaluate(() => (location.hash = "#/settings"));
    await page.getByTestId("check-update").click();
    await page.getByTestId("update-offer").waitFor();
    expect(await page.getByTestId("update-waiting").textContent()).toContain("a reply is still streaming");
    expect(await page.getByTestId("install-update").isDisabled()).toBe(true);
    // The reply ends in the background; the button comes back on the next re-read.
    await page.evaluate(() => (window as any).__fake.state.streaming.forEach((s: { stop: boolean }) => (s.stop = true)));
    await expect.poll(() => page.getByTestId("install-update").isDisabled(), { timeout: 5000 }).toBe(false);
    expect(await page.getByTestId("update-waiting").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("disables the install with the reason while a checkout is pending", async () => {
    const { page, context, errors } = await open({ update: UPDATE, pending: [{ product: "credits_500" }] });
    await page.getByTestId("check-update").click();
    await page.getByTestId("update-offer").waitFor();
    expect(await page.getByTestId("update-waiting").textContent()).toContain("a checkout is waiting for payment");
    expect(await page.getByTestId("install-update").isDisabled()).toBe(true);
    // Paid: the reason goes on the next re-read and the button comes back.
    await page.evaluate(() => {
      (window as any).__fake.state.pending = [];
    });
    await expect.poll(() => page.getByTestId("install-update").isDisabled(), { timeout: 5000 }).toBe(false);
    expect(await page.evaluate(() => (window as any).__fake.calls("install_update").length)).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
