import { describe, expect, it } from "vitest";
import { draftFromPersona, draftOf, effortLabel, settingsOf, settingsSummary } from "./chatSettings";
import { messageModel } from "./messageDetails";

describe("chat settings", () => {
  it("drafts a session's settings, blanks for the defaults", () => {
    expect(draftOf(null)).toEqual({ systemPrompt: "", effort: "" });
    expect(draftOf({ systemPrompt: "Be terse.", reasoningEffort: "high" })).toEqual({ systemPrompt: "Be terse.", effort: "high" });
    expect(draftOf({ systemPrompt: null, reasoningEffort: null })).toEqual({ systemPrompt: "", effort: "" });
  });

  it("saves a blank prompt as the app's own and trims the rest", () => {
    expect(settingsOf({ systemPrompt: "   ", effort: "" })).toEqual({ systemPrompt: null, reasoningEffort: null });
    expect(settingsOf({ systemPrompt: "  Be kind. ", effort: "low" })).toEqual({ systemPrompt: "Be kind.", reasoningEffort: "low" });
  });

  it("takes a persona's prompt and effort", () => {
    const persona = { name: "Pirate", prompt: "Arr.", reasoningEffort: null, createdAt: "", updatedAt: "" };
    expect(draftFromPersona(persona)).toEqual({ systemPrompt: "Arr.", effort: "" });
    expect(draftFromPersona({ ...persona, reasoningEffort: "medium" }).effort).toBe("medium");
  });

  it("summarises only what differs from the defaults", () => {
    expect(settingsSummary(null)).toBeNull();
    expect(settingsSummary({ systemPrompt: null, reasoningEffort: null })).toBeNull();
    expect(settingsSummary({ systemPrompt: "x", reasoningEffort: null })).toBe("Own prompt");
    expect(settingsSummary({ systemPrompt: "x", reasoningEffort: "high" })).toBe("Own prompt · Effort: High");
    expect(settingsSummary({ systemPrompt: null, reasoningEffort: "low" })).toBe("Effort: Low");
    expect(effortLabel(null)).toBe("Model default");
    expect(effortLabel("medium")).toBe("Medium");
  });

  it("names the model and effort that wrote a reply, and nothing else", () => {
    expect(messageModel({ role: "assistant", model: "o3-mini", reasoningEffort: "high" })).toBe("o3-mini · High effort");
    expect(messageModel({ role: "assistant", model: "gpt-4o", reasoningEffort: null })).toBe("gpt-4o");
    expect(messageModel({ role: "assistant", model: null, reasoningEffort: null })).toBeNull();
    expect(messageModel({ role: "assistant" } as never)).toBeNull();
    expect(messageModel({ role: "user", model: "o3-mini", reasoningEffort: "low" })).toBeNull();
  });
});
