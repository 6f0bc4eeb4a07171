import { describe, expect, it } from "vitest";
import { bandClass, creditLabel, resetLabel } from "./credits";

describe("credit badge helpers", () => {
  it("labels the balance", () => {
    expect(creditLabel({ remaining: 100, pro: false })).toBe("100 credits");
    expect(creditLabel({ remaining: 1, pro: false })).toBe("1 credit");
    expect(creditLabel({ remaining: 5000, pro: false })).toBe("5,000 credits");
    expect(creditLabel({ remaining: 0, pro: true })).toBe("Pro · unlimited");
  });

  it("maps bands to classes", () => {
    expect(bandClass("green")).toBe("band-green");
    expect(bandClass("red")).toBe("band-red");
  });

  it("formats the reset date in UTC", () => {
    expect(resetLabel("2026-12-01T00:00:00+00:00")).toBe("Resets Dec 1");
    expect(resetLabel("not a date")).toBe("");
  });
});

import { LowBalanceWatch, canAfford, ledgerLabel, shortDate, signedAmount } from "./credits";

// What the core answers: `low` below its threshold of 20 credits.
const bal = (remaining: number, pro: boolean) => ({ remaining, pro, low: remaining < 20 });

describe("low balance toast", () => {
  it("warns once when the balance drops below the threshold", () => {
    const watch = new LowBalanceWatch();
    expect(watch.observe(bal(100, false))).toBe(false);
    expect(watch.observe(bal(22, false))).toBe(false);
    expect(watch.observe(bal(20, false))).toBe(false);
    expect(watch.observe(bal(17, false))).toBe(true);
    expect(watch.observe(bal(14, false))).toBe(false);
    // The core's event for the same drop does not toast again.
    expect(watch.lowEvent()).toBe(false);
  });

  it("re-arms after a top-up and honours the event first", () => {
    const watch = new LowBalanceWatch();
    watch.observe(bal(50, false));
    expect(watch.lowEvent()).toBe(true);
    expect(watch.observe(bal(19, false))).toBe(false);
    expect(watch.observe(bal(519, false))).toBe(false);
    expect(watch.observe(bal(10, false))).toBe(true);
  });

  it("never warns Pro users", () => {
    const watch = new LowBalanceWatch();
    expect(watch.observe(bal(0, true))).toBe(false);
  });

  it("follows the core's low flag, not a number of its own", () => {
    const watch = new LowBalanceWatch();
    expect(watch.observe({ low: false, pro: false })).toBe(false);
    expect(watch.observe({ low: true, pro: false })).toBe(true);
    expect(watch.observe({ low: true, pro: false })).toBe(false);
    expect(watch.observe({ low: false, pro: false })).toBe(false);
    expect(watch.observe({ low: true, pro: false })).toBe(true);
  });

  it("warns at start when already low", () => {
    expect(new LowBalanceWatch().observe(bal(5, false))).toBe(true);
  });
});

describe("affordability and ledger labels", () => {
  it("checks the cost against the balance", () => {
    expect(canAfford({ remaining: 3, pro: false }, 3)).toBe(true);
    expect(canAfford({ remaining: 2, pro: false }, 3)).toBe(false);
    expect(canAfford({ remaining: 0, pro: true }, 3)).toBe(true);
    expect(canAfford(null, 3)).toBe(true);
  });

  it("formats ledger rows", () => {
    expect(signedAmount(500)).toBe("+500");
    expect(signedAmount(-3)).toBe("−3");
    expect(ledgerLabel({ kind: "spend", action: "chat_message" })).toBe("Spent · Chat message");
    expect(ledgerLabel({ kind: "monthly_reset", action: null })).toBe("Monthly reset");
    expect(shortDate("2026-12-01T00:00:00Z")).toBe("Dec 1, 2026");
  });
});
