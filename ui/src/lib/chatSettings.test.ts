import { describe, expect, it } from "vitest";
import { draftFromPersona, draftOf, effortLabel, settingsOf, settingsSummary, settingsWithModel } from "./chatSettings";
import { messageModel } from "./messageDetails";

describe("chat settings", () => {
  it("drafts a session's settings, blanks for the defaults", () => {
    expect(draftOf(null)).toEqual({ systemPrompt: "", effort: "", model: null });
    expect(draftOf({ systemPrompt: "Be terse.", reasoningEffort: "high", model: "gpt-4o" })).toEqual({ systemPrompt: "Be terse.", effort: "high", model: "gpt-4o" });
    expect(draftOf({ systemPrompt: null, reasoningEffort: null })).toEqual({ systemPrompt: "", effort: "", model: null });
  });

  it("saves a blank prompt as the app's own and trims the rest", () => {
    expect(settingsOf({ systemPrompt: "   ", effort: "", model: null })).toEqual({ systemPrompt: null, reasoningEffort: null, model: null });
    expect(settingsOf({ systemPrompt: "  Be kind. ", effort: "low", model: null })).toEqual({ systemPrompt: "Be kind.", reasoningEffort: "low", model: null });
  });

  it("carries the chat's model through a change of prompt or effort (the core replaces all three)", () => {
    const draft = draftOf({ systemPrompt: null, reasoningEffort: null, model: "Local llama" });
    draft.systemPrompt = "Be brief.";
    expect(settingsOf(draft)).toEqual({ systemPrompt: "Be brief.", reasoningEffort: null, model: "Local llama" });
  });

  it("changes only the model, keeping the chat's prompt and effort", () => {
    expect(settingsWithModel({ systemPrompt: "Arr.", reasoningEffort: "high", model: "o3-mini" }, "Local llama")).toEqual({
      systemPrompt: "Arr.", reasoningEffort: "high", model: "Local llama",
    });
    expect(settingsWithModel(null, "gpt-4o")).toEqual({ systemPrompt: null, reasoningEffort: null, model: "gpt-4o" });
  });

  it("takes a persona's prompt and effort, keeping the model chosen in the picker", () => {
    const persona = { name: "Pirate", prompt: "Arr.", reasoningEffort: null, createdAt: "", updatedAt: "" };
    expect(draftFromPersona(persona, null)).toEqual({ systemPrompt: "Arr.", effort: "", model: null });
    expect(draftFromPersona({ ...persona, reasoningEffort: "medium" }, "Local llama")).toEqual({ systemPrompt: "Arr.", effort: "medium", model: "Local llama" });
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
