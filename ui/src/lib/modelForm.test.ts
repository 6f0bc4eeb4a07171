import { describe, expect, it } from "vitest";
import type { ConfiguredModel } from "../bindings";
import { configOf, draftOfModel, emptyDraft, formField, keyLine, modelInput } from "./modelForm";

const azure: ConfiguredModel = {
  summary: { name: "o3-mini", label: "Azure OpenAI · o3-mini", isDefault: true, reasons: true, vision: false, streams: true, problem: null },
  config: {
    kind: "azure", endpoint: "https://r.openai.azure.com", deployment: "o3-mini", apiVersion: null, family: "o_series", streams: true,
    reasoningEffort: "medium", maxCompletionTokens: 4000, vision: false,
  },
  keyConfigured: true, keySource: "keyring", fromEnvironment: false,
};

describe("the model form", () => {
  it("adds an OpenAI-compatible model with its name, no key and as the default", () => {
    const draft = { ...emptyDraft(), name: "  Local llama ", kind: "open_ai_compatible" as const, baseUrl: " http://127.0.0.1:11434/v1 ",
      model: "llama3.1", makeDefault: true };
    expect(modelInput(draft, null)).toEqual({
      name: "Local llama", previousName: null, apiKey: null, clearKey: false, makeDefault: true,
      config: { kind: "open_ai_compatible", baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.1", streams: true, vision: false },
    });
  });

  it("names a model nobody named by its deployment", () => {
    const draft = { ...emptyDraft(), endpoint: "https://r.openai.azure.com", deployment: "gpt-4o", family: "gpt" as const, effort: "high" as const };
    const input = modelInput(draft, null);
    expect(input.name).toBe("gpt-4o");
    // The effort is an o-series setting only.
    expect(input.config).toMatchObject({ kind: "azure", reasoningEffort: null, apiVersion: null, maxCompletionTokens: null });
  });

  it("fills the form from a model to edit it, never with a key, and saves it under its old name", () => {
    const draft = draftOfModel(azure);
    expect(draft).toMatchObject({ name: "o3-mini", kind: "azure", effort: "medium", maxTokens: "4000", apiKey: "", makeDefault: true });
    expect(configOf(draft)).toEqual(azure.config);
    draft.name = "Reasoner";
    draft.apiKey = " sk-new ";
    const input = modelInput(draft, "o3-mini");
    expect(input).toMatchObject({ name: "Reasoner", previousName: "o3-mini", apiKey: "sk-new" });
  });

  it("says whether a key is stored, never what it is", () => {
    expect(keyLine(azure)).toBe("A key is stored (in the system keyring)");
    expect(keyLine({ keyConfigured: true, keySource: "environment" })).toBe("A key is set by the environment");
    expect(keyLine({ keyConfigured: false, keySource: "none" })).toBe("No key stored");
  });

  it("puts the core's validation errors by their fields", () => {
    expect(formField("model name")).toBe("name");
    expect(formField("api_version")).toBe("apiVersion");
    expect(formField("base_url")).toBe("baseUrl");
    expect(formField("endpoint")).toBe("endpoint");
    expect(formField("something else")).toBeNull();
    expect(formField(null)).toBeNull();
  });
});
