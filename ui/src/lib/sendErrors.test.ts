import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../bindings";
import { isFatal } from "./api";
import { sendErrorAction } from "./sendErrors";

const err = (code: ErrorCode, message = "core message") => ({ code, message });

describe("send errors", () => {
  it("opens the out-of-credits dialog for insufficient_credits", () => {
    expect(sendErrorAction(err("insufficient_credits"))).toEqual({ kind: "out-of-credits" });
  });

  it("treats every database code as fatal, as isFatal does", () => {
    const database: ErrorCode[] = [
      "database",
      "database_busy",
      "database_corrupt",
      "database_read_only",
      "database_too_new",
      "database_migration_failed",
      "database_unavailable",
    ];
    for (const code of database) {
      expect(sendErrorAction(err(code))).toEqual({ kind: "fatal" });
      expect(isFatal(code)).toBe(true);
    }
    expect(isFatal("session_busy")).toBe(false);
  });

  it("explains the provider's failures in its own words", () => {
    const action = sendErrorAction(err("rate_limited"));
    expect(action).toMatchObject({ kind: "toast", text: expect.stringContaining("rate limited") });
    expect(sendErrorAction(err("session_busy"))).toMatchObject({ text: expect.stringContaining("still being written") });
  });

  it("shows the core's message for codes without words of their own, and for unknown ones", () => {
    expect(sendErrorAction(err("bad_response", "odd answer"))).toEqual({ kind: "toast", text: "odd answer" });
    expect(sendErrorAction(err("something_new" as ErrorCode, "later"))).toEqual({ kind: "toast", text: "later" });
  });

  it("names the model a chat has lost and points at the picker", () => {
    const gone = sendErrorAction(err("model_not_found", 'no model called "Local llama" is configured; choose another in the model picker'));
    expect(gone).toEqual({
      kind: "toast",
      text: 'No model called "Local llama" is configured any more. Choose another model for this chat in the model picker beside the message box.',
    });
    expect(sendErrorAction(err("model_not_found", "unquoted"))).toMatchObject({ text: expect.stringMatching(/^This chat's model is not configured any more\. Choose another model/) });
  });
});
