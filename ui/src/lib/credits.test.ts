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
