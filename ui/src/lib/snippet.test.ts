import { describe, expect, it } from "vitest";
import { snippetParts } from "./snippet";

describe("search snippets", () => {
  it("splits marked matches into parts", () => {
    expect(snippetParts("a \u0002rust\u0003 b \u0002async\u0003")).toEqual([
      { text: "a ", match: false },
      { text: "rust", match: true },
      { text: " b ", match: false },
      { text: "async", match: true },
    ]);
  });

  it("treats markup as plain text", () => {
    expect(snippetParts("<img src=x onerror=alert(1)>")).toEqual([{ text: "<img src=x onerror=alert(1)>", match: false }]);
  });
});
