// Settings › AI models: the form that adds or changes one model (Azure
// OpenAI or an OpenAI-compatible server) and the words each listed model
// shows. The core checks what is saved (names, endpoints) and keeps the
// keys; the form never holds a stored key, only whether one is stored.
import type { ConfiguredModel, ModelFamily, ModelInput_Deserialize, ProviderConfig_Serialize, ReasoningEffort } from "../bindings";

export type ProviderKind = "azure" | "open_ai_compatible";

/** What the form edits; every field as typed. */
export type ModelDraft = {
  name: string;
  kind: ProviderKind;
  endpoint: string;
  deployment: string;
  apiVersion: string;
  family: ModelFamily;
  effort: ReasoningEffort | "";
  maxTokens: string;
  baseUrl: string;
  model: string;
  streams: boolean;
  /** Whether the model reads images (attachments are refused for one that does not). */
  vision: boolean;
  /** A new key; empty keeps the stored one. */
  apiKey: string;
  clearKey: boolean;
  makeDefault: boolean;
};

export function emptyDraft(): ModelDraft {
  return {
    name: "", kind: "azure", endpoint: "", deployment: "", apiVersion: "", family: "o_series", effort: "", maxTokens: "",
    baseUrl: "", model: "", streams: true, vision: false, apiKey: "", clearKey: false, makeDefault: false,
  };
}

/** A configured model in the form, to edit it (never its key). */
export function draftOfModel(configured: ConfiguredModel): ModelDraft {
  const draft = { ...emptyDraft(), name: configured.summary.name, makeDefault: configured.summary.isDefault };
  const c = configured.config;
  if (c.kind === "azure") {
    return {
      ...draft, kind: "azure", endpoint: c.endpoint, deployment: c.deployment, apiVersion: c.apiVersion ?? "", family: c.family,
      effort: c.reasoningEffort ?? "", maxTokens: c.maxCompletionTokens == null ? "" : String(c.maxCompletionTokens),
      streams: c.streams, vision: c.vision ?? false,
    };
  }
  return { ...draft, kind: "open_ai_compatible", baseUrl: c.baseUrl, model: c.model, streams: c.streams, vision: c.vision ?? false };
}

/** The provider configuration the draft describes (trimmed; the core checks it). */
export function configOf(draft: ModelDraft): ProviderConfig_Serialize {
  if (draft.kind === "azure") {
    const max = draft.maxTokens.trim() ? Number(draft.maxTokens) : null;
    return {
      kind: "azure", endpoint: draft.endpoint.trim(), deployment: draft.deployment.trim(), apiVersion: draft.apiVersion.trim() || null,
      family: draft.family, streams: draft.streams, vision: draft.vision,
      reasoningEffort: draft.family === "o_series" && draft.effort ? draft.effort : null,
      maxCompletionTokens: max !== null && Number.isFinite(max) ? max : null,
    };
  }
  return { kind: "open_ai_compatible", baseUrl: draft.baseUrl.trim(), model: draft.model.trim(), streams: draft.streams, vision: draft.vision };
}

/**
 * What Settings saves. An empty name is the deployment's (or model's)
 * name, as the core names a model nobody named; `previousName` is the
 * model being edited (a new name renames it, its chats following).
 */
export function modelInput(draft: ModelDraft, previousName: string | null): ModelInput_Deserialize {
  const config = configOf(draft);
  const fallback = config.kind === "azure" ? config.deployment : config.model;
  const key = draft.apiKey.trim();
  return {
    name: draft.name.trim() || fallback,
    previousName,
    config,
    apiKey: key ? key : null,
    clearKey: draft.clearKey,
    makeDefault: draft.makeDefault,
  };
}

/** Whether a key is stored for the model's endpoint, and where (never the key). */
export function keyLine(configured: Pick<ConfiguredModel, "keyConfigured" | "keySource">): string {
  if (!configured.keyConfigured) return "No key stored";
  return configured.keySource === "environment" ? "A key is set by the environment" : "A key is stored (in the system keyring)";
}

/**
 * The field an error from the core belongs to, as the form names its
 * inputs (the core says `model name`, `api_version`…).
 */
export function formField(field: string | null | undefined): string | null {
  if (!field) return null;
  const known: Record<string, string> = {
    "model name": "name", name: "name", endpoint: "endpoint", deployment: "deployment", apiVersion: "apiVersion",
    api_version: "apiVersion", "api version": "apiVersion", baseUrl: "baseUrl", base_url: "baseUrl", "base url": "baseUrl",
    model: "model", api_key: "apiKey", apiKey: "apiKey", "api key": "apiKey",
  };
  return known[field] ?? null;
}
