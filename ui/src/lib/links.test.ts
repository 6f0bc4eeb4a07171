import { describe, expect, it } from "vitest";
import { isOpenableLink } from "./links";

describe("links", () => {
  it("opens only http, https and mailto links", () => {
    expect(isOpenableLink("https://example.com")).toBe(true);
    expect(isOpenableLink("mailto:a@b.c")).toBe(true);
    expect(isOpenableLink("javascript:alert(1)")).toBe(false);
    expect(isOpenableLink(" JavaScript:alert(1)")).toBe(false);
    expect(isOpenableLink("data:text/html,x")).toBe(false);
    expect(isOpenableLink("file:///etc/passwd")).toBe(false);
    expect(isOpenableLink("/relative")).toBe(false);
    expect(isOpenableLink(null)).toBe(false);
  });
});
