import { describe, expect, it } from "vitest";
import type { ModelSummary } from "../bindings";
import { chatModel, chatModelName, defaultModel, modelOptions, offersEffort } from "./models";

const model = (name: string, extra: Partial<ModelSummary> = {}): ModelSummary => ({
  name, label: `Azure OpenAI · ${name}`, isDefault: false, reasons: true, vision: false, streams: true, problem: null, ...extra,
});
const o3 = model("o3-mini", { isDefault: true });
const llama = model("Local llama", { label: "http://127.0.0.1:11434/v1 · llama3.1", reasons: false });
const keyless = model("gpt-4o", { label: null, reasons: false, problem: "no chat model is configured: no API key" });
const list = [o3, llama, keyless];

describe("chat models", () => {
  it("answers a chat with its own model, else the default", () => {
    expect(defaultModel(list)).toBe(o3);
    expect(defaultModel([llama, keyless])).toBe(llama); // none marked: the first, as the core falls back
    expect(defaultModel([])).toBeNull();
    expect(chatModelName(list, null)).toBe("o3-mini");
    expect(chatModelName(list, "Local llama")).toBe("Local llama");
    expect(chatModelName([], null)).toBeNull();
    expect(chatModel(list, "Local llama")).toBe(llama);
    expect(chatModel(list, "gone")).toBeNull();
  });

  it("marks the default, disables a model that cannot answer with its reason, and describes the rest", () => {
    expect(modelOptions(list, null)).toEqual([
      { value: "o3-mini", text: "o3-mini (default)", disabled: false, hint: "Azure OpenAI · o3-mini" },
      { value: "Local llama", text: "Local llama", disabled: false, hint: "http://127.0.0.1:11434/v1 · llama3.1" },
      { value: "gpt-4o", text: "gpt-4o (unavailable)", disabled: true, hint: "no chat model is configured: no API key" },
    ]);
  });

  it("shows a chat's model that is gone as not configured, and nothing extra for one that exists", () => {
    const options = modelOptions(list, "Removed one");
    expect(options.at(-1)).toMatchObject({ value: "Removed one", text: "Removed one (not configured)", disabled: true });
    expect(options).toHaveLength(4);
    expect(modelOptions(list, "Local llama")).toHaveLength(3);
    expect(modelOptions([], null)).toEqual([]);
  });

  it("offers the reasoning effort only for a model that takes one (or when that cannot be told)", () => {
    expect(offersEffort(list, true, null)).toBe(true); // o3-mini, the default
    expect(offersEffort(list, true, "Local llama")).toBe(false);
    expect(offersEffort(list, true, "gone")).toBe(true);
    expect(offersEffort([], false, "Local llama")).toBe(true);
  });
});
