import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../bindings";
import { createdToast, excerpt, generationError, priorityLabel, scrapeError, statusLabel, taskCountLabel } from "./projects";

const err = (code: ErrorCode, message = "raw message") => ({ code, message });

describe("generation errors", () => {
  it("says the credits were refunded for the refunded codes", () => {
    for (const code of ["invalid_model_output", "model_output_truncated"] as const) {
      const action = generationError(err(code));
      expect(action.kind).toBe("message");
      if (action.kind === "message") {
        expect(action.refunded).toBe(true);
        expect(action.text).toContain("Your credits were refunded.");
        expect(action.text).toContain("nothing was created");
      }
    }
  });

  it("opens the out-of-credits dialog for insufficient_credits", () => {
    expect(generationError(err("insufficient_credits"))).toEqual({ kind: "out-of-credits" });
  });

  it("falls back to the core's message and never claims a refund it does not know of", () => {
    expect(generationError(err("something_new" as ErrorCode, "Core said no"))).toEqual({ kind: "message", text: "Core said no", refunded: false });
    expect(generationError(err("provider_not_configured"))).toMatchObject({ refunded: false, text: expect.stringContaining("Settings") });
  });
});

describe("scrape errors", () => {
  it("explains every code in plain words", () => {
    const expected: Partial<Record<ErrorCode, string>> = {
      not_found: "not found",
      http_error: "answered with an error",
      timeout: "too long",
      too_large: "too large",
      not_a_web_page: "not a web page",
      too_many_redirects: "redirected too many times",
      network: "Could not reach",
      empty_page: "no readable text",
      redirect_to_private_address: "your own computer or network",
      page_too_complex: "too complex",
      extraction_timeout: "took too long",
    };
    for (const [code, words] of Object.entries(expected)) {
      const action = scrapeError(err(code as ErrorCode));
      expect(action).toMatchObject({ kind: "message", refunded: true });
      if (action.kind === "message") {
        expect(action.text).toContain(words);
        expect(action.text).toContain("Your credits were refunded.");
        expect(action.text).not.toContain("raw message");
      }
    }
  });

  it("bad_url is refused before any charge, so there is no refund to mention", () => {
    const action = scrapeError(err("bad_url"));
    expect(action).toMatchObject({ kind: "message", refunded: false });
    if (action.kind === "message") {
      expect(action.text).toContain("http://");
      expect(action.text).not.toContain("refunded");
    }
    expect(scrapeError(err("insufficient_credits"))).toEqual({ kind: "out-of-credits" });
  });

  it("private_address (a server's scraper) names public pages and claims no refund", () => {
    // A typed address is refused before any charge; a name after it, and
    // refunded then: the code alone cannot say which, so no refund is claimed.
    const action = scrapeError(err("private_address"));
    expect(action).toMatchObject({ kind: "message", refunded: false });
    if (action.kind === "message") {
      expect(action.text).toContain("only public web pages");
      expect(action.text).not.toContain("refunded");
    }
  });
});

describe("project labels", () => {
  it("labels statuses, priorities and counts", () => {
    expect(statusLabel("in_progress")).toBe("In progress");
    expect(priorityLabel("urgent")).toBe("Urgent");
    expect(taskCountLabel(0, 0)).toBe("No tasks");
    expect(taskCountLabel(2, 3)).toBe("2 of 3 open");
    expect(createdToast(1)).toBe("Project created with 1 task");
    expect(createdToast(4)).toBe("Project created with 4 tasks");
  });

  it("cuts long text at a word for the excerpt", () => {
    expect(excerpt("short text")).toEqual({ text: "short text", more: false });
    const long = "word ".repeat(100);
    const cut = excerpt(long, 50);
    expect(cut.more).toBe(true);
    expect(cut.text.endsWith("word…")).toBe(true);
    expect(cut.text.length).toBeLessThanOrEqual(51);
  });
});
