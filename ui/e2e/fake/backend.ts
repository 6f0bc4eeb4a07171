// A fake Banter core for browser tests: Tauri IPC is mocked with
// @tauri-apps/api/mocks, state lives in memory, and replies stream through
// the caller's Channel with small delays. Bundled on its own (e2e/harness.mjs)
// and injected with page.addInitScript; the app bundle never contains it.
//
// Its answers use the generated types of ui/src/bindings.ts, so a change on
// the Rust side that the fake does not follow fails `npm run check`. The
// numbers (prices, balances) are fixtures of this fake, not the app's rules.
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import type {
  Action,
  AttachmentInfo,
  AttachmentUpload,
  Balance_Serialize,
  Band,
  ChatMessage_Serialize,
  ChatSession_Serialize,
  ConfiguredModel_Serialize,
  Costs,
  EntryKind,
  InstallBlockers,
  LedgerEntry_Serialize,
  MainScreen,
  MessageStatus,
  ModelInput_Deserialize,
  ModelSummary_Serialize,
  PendingCheckout,
  Priority,
  Product,
  ProductInfo_Serialize,
  ProviderConfig_Serialize,
  Project as ProjectView,
  Persona_Serialize as Persona,
  ProjectSource,
  Role,
  Task_Serialize,
  TaskStatus,
  TaskUpdate_Deserialize,
  UpdateOffer_Serialize as UpdateOffer,
} from "../../src/bindings";

type Message = ChatMessage_Serialize;
type Session = ChatSession_Serialize;
type Ledger = LedgerEntry_Serialize;
export type Seed = {
  balance?: number;
  /** Saved personas (this computer's). */
  personas?: { name: string; prompt: string; reasoningEffort?: Persona["reasoningEffort"] }[];
  /** `model`: the chat's own model (default: none, the default model answers). */
  sessions?: { title: string | null; messages: { role: Role; content: string }[]; model?: string | null }[];
  /** Characters per delta and the pause between deltas. */
  chunk?: number;
  delayMs?: number;
  /** Delay before the first delta. */
  firstDelayMs?: number;
  /** False: no Autumn key, purchases are off (default true). */
  billingConfigured?: boolean;
  /** Checkouts already waiting for a payment. */
  pending?: { product: Product }[];
  pro?: { until: string };
  /** The default model takes images (default false: an image is refused with `model_cannot_see`). */
  vision?: boolean;
  /**
   * This computer's models, in order (default: one Azure o3-mini deployment,
   * the default, its key stored). `key`: a key is stored for its endpoint;
   * `environment`: set by `AZURE_OPENAI_*` (the default then, read-only).
   */
  models?: { name: string; config: ProviderConfig_Serialize; key?: boolean; environment?: boolean }[];
  /** The default model's name (default: the first). */
  defaultModel?: string;
  /** Signed in to a server offering `models` (the operator's; the picker and Settings show them). */
  account?: { server: string; displayName: string; models: ModelSummary_Serialize[] };
  /** A newer version the update server offers (none by default). */
  update?: { version: string; notes?: string | null; date?: string | null };
  projects?: {
    name: string; description?: string; archived?: boolean;
    tasks?: { title: string; status?: TaskStatus; priority?: Priority; dueDate?: string | null }[];
  }[];
};
/** A project as stored; its task counts are computed when it is shown. */
type Project = Omit<ProjectView, "openTasks" | "totalTasks">;
type Task = Omit<Task_Serialize, "projectDisplayId">;
type Source = ProjectSource;
type Channel = { id: number };
/** A configured model as the fake keeps it. */
type FakeModel = { name: string; config: ProviderConfig_Serialize; environment: boolean };

const seed: Seed = (window as unknown as { __FAKE_SEED__?: Seed }).__FAKE_SEED__ ?? {};
const T0 = Date.parse("2026-11-25T09:00:00Z");
let clock = 0;
const now = () => new Date(T0 + 1000 * clock++).toISOString();

const state = {
  remaining: seed.balance ?? 100,
  total: 100,
  sessions: [] as Session[],
  messages: [] as Message[],
  ledger: [] as Ledger[],
  nextSession: 1,
  nextMessage: 1,
  nextLedger: 1,
  keys: 0,
  replies: [] as string[],
  chunk: seed.chunk ?? 6,
  delayMs: seed.delayMs ?? 25,
  firstDelayMs: seed.firstDelayMs ?? 150,
  calls: [] as { cmd: string; args: unknown }[],
  streaming: new Map<number, { stop: boolean }>(),
  shortcut: "CommandOrControl+Shift+Space",
  billingConfigured: seed.billingConfigured ?? true,
  pending: [] as PendingCheckout[],
  nextRef: 1,
  proUntil: seed.pro?.until ?? null as string | null,
  /** The next start_checkout / sync_purchases fails with this error. */
  checkoutError: null as { code: string; message: string } | null,
  syncError: null as { code: string; message: string } | null,
  /** Products paid in the browser that the next sync fulfils. */
  paid: [] as Product[],
  projects: [] as Project[],
  tasks: [] as Task[],
  sources: [] as Source[],
  nextProject: 1,
  nextTask: 1,
  nextSource: 1,
  /** How long generation and scraping "work" before answering. */
  workMs: 300,
  update: seed.update ?? null as Seed["update"] | null,
  /** What install_update installed (the real app would restart into it). */
  installed: null as string | null,
  personas: (seed.personas ?? []).map((p) => ({ ...p, reasoningEffort: p.reasoningEffort ?? null, createdAt: "2026-11-24T18:00:00Z",
    updatedAt: "2026-11-24T18:00:00Z" })) as Persona[],
  models: (seed.models ?? [{ name: "o3-mini", config: {
    kind: "azure", endpoint: "https://example.openai.azure.com", deployment: "o3-mini", apiVersion: null, family: "o_series", streams: true,
    reasoningEffort: "medium", maxCompletionTokens: null, vision: seed.vision ?? false,
  } as ProviderConfig_Serialize, key: true }]).map((m) => ({ name: m.name, config: m.config, environment: m.environment ?? false })) as FakeModel[],
  defaultModel: seed.defaultModel ?? null as string | null,
  /** The endpoints a key is stored for (the core keeps one per endpoint). */
  modelKeys: new Set<string>(),
  attachments: [] as (AttachmentInfo & { dataUrl: string })[],
  nextAttachment: 1,
};
for (const m of seed.models ?? []) if (m.key) state.modelKeys.add(endpointOf(m.config));
if (!seed.models) state.modelKeys.add(endpointOf(state.models[0].config));
// The fake's prices and threshold (fixtures); every rule below uses these.
const COSTS: Costs = { chatMessage: 3, projectGeneration: 15, urlScrape: 5, lowBalanceThreshold: 20 };
const LOW = COSTS.lowBalanceThreshold;

const PRODUCTS: ProductInfo_Serialize[] = [
  { product: "credits_500", id: "credits_500", name: "500 credits", priceCents: 500, credits: 500, monthly: false },
  { product: "credits_1000", id: "credits_1000", name: "1,000 credits", priceCents: 900, credits: 1000, monthly: false },
  { product: "credits_5000", id: "credits_5000", name: "5,000 credits", priceCents: 4000, credits: 5000, monthly: false },
  { product: "pro", id: "pro", name: "Pro", priceCents: 2000, credits: null, monthly: true },
];
for (const p of seed.pending ?? []) {
  state.pending.push({ reference: `ref_${state.nextRef++}`, product: p.product, createdAt: "2026-11-24T18:00:00Z" });
}

/** The endpoint a model's key is stored for. */
function endpointOf(config: ProviderConfig_Serialize): string {
  return (config.kind === "azure" ? config.endpoint : config.baseUrl).trim().replace(/\/+$/, "");
}
/** The deployment or model id a reply is stored with. */
function modelIdOf(config: ProviderConfig_Serialize): string {
  return config.kind === "azure" ? config.deployment : config.model;
}
/** The default: the environment's model while it is set, else the chosen one, else the first (as the core falls back). */
function defaultModelName(): string | null {
  const env = state.models.find((m) => m.environment);
  if (env) return env.name;
  if (state.defaultModel !== null && state.models.some((m) => m.name === state.defaultModel)) return state.defaultModel;
  return state.models[0]?.name ?? null;
}
/** A model as the picker shows it; an Azure model without a key cannot answer (as the core builds it). */
function summaryOf(m: FakeModel): ModelSummary_Serialize {
  const c = m.config;
  const isDefault = m.name === defaultModelName();
  if (c.kind === "azure" && !state.modelKeys.has(endpointOf(c))) {
    return { name: m.name, label: null, isDefault, reasons: false, vision: false, streams: true,
      problem: "no chat model is configured: no API key for this endpoint (add it in Settings)" };
  }
  const label = c.kind === "azure" ? `Azure OpenAI · ${c.deployment}` : `${endpointOf(c)} · ${c.model}`;
  return { name: m.name, label, isDefault, reasons: c.kind === "azure" && c.family === "o_series", vision: c.vision, streams: c.streams, problem: null };
}
/** The models a chat can be answered by: the server's when signed in, else this computer's. */
function modelChoices(): ModelSummary_Serialize[] {
  return seed.account ? seed.account.models : state.models.map(summaryOf);
}
function configuredModels(): ConfiguredModel_Serialize[] {
  return state.models.map((m) => {
    const key = state.modelKeys.has(endpointOf(m.config));
    return { summary: summaryOf(m), config: m.config, keyConfigured: key, keySource: key ? (m.environment ? "environment" : "keyring") : "none",
      fromEnvironment: m.environment };
  });
}
const modelNotFound = (name: string) => fail("model_not_found", `no model called "${name}" is configured; choose another in the model picker`);
/**
 * The model that answers `session` (its own, else the default) and the id
 * its replies are stored with, or the core's refusal, before anything is paid.
 */
function answeringModel(session: Session | undefined): Promise<{ summary: ModelSummary_Serialize; id: string }> {
  const choices = modelChoices();
  const name = session?.model ?? choices.find((m) => m.isDefault)?.name ?? choices[0]?.name ?? null;
  if (name === null) return fail("provider_not_configured", "no chat model is configured: set an Azure OpenAI deployment in Settings or the environment");
  const summary = choices.find((m) => m.name === name);
  if (!summary) return modelNotFound(name);
  if (summary.problem) return fail("provider_not_configured", summary.problem);
  const local = state.models.find((m) => m.name === name);
  return Promise.resolve({ summary, id: seed.account ? name : modelIdOf(local!.config) });
}
/** Saves a model as the core checks it (names, endpoints), moving a renamed model's chats. */
function saveModel(input: ModelInput_Deserialize): Promise<ConfiguredModel_Serialize[]> {
  const name = String(input.name).trim();
  const invalid = (field: string, message: string) => fail("invalid_input", message, { field });
  if (!name) return invalid("model name", "model name must not be empty");
  if (name.length > 64) return invalid("model name", "model name is longer than 64 characters");
  const previous = input.previousName ?? null;
  if (state.models.some((m) => m.environment && (m.name === name || m.name === previous))) {
    return invalid("model name", `"${name}" is set by the environment (AZURE_OPENAI_*); change it there or choose another name`);
  }
  if (state.models.some((m) => m.name === name && m.name !== previous)) return invalid("model name", `another model is already called "${name}"`);
  const c = input.config as ProviderConfig_Serialize;
  if (c.kind === "azure" && !/^https:\/\/\S+$/.test(c.endpoint.trim())) return invalid("endpoint", "endpoint must be an https:// URL");
  if (c.kind === "open_ai_compatible" && !/^https?:\/\/\S+$/.test(c.baseUrl.trim())) return invalid("base_url", "base URL must be an http:// or https:// URL");
  const config = { ...c, vision: c.vision ?? false } as ProviderConfig_Serialize;
  if (previous !== null) {
    const model = state.models.find((m) => m.name === previous);
    if (!model) return fail("not_found", `model ${previous} not found`);
    model.name = name;
    model.config = config;
    if (previous !== name) {
      for (const s of state.sessions) if (s.model === previous) s.model = name;
      if (state.defaultModel === previous) state.defaultModel = name;
    }
  } else {
    state.models.push({ name, config, environment: false });
  }
  if (input.makeDefault) state.defaultModel = name;
  if (input.clearKey) state.modelKeys.delete(endpointOf(config));
  if (input.apiKey?.trim()) state.modelKeys.add(endpointOf(config));
  return Promise.resolve(configuredModels());
}

function updateBlockers(): InstallBlockers {
  return { repliesStreaming: state.streaming.size, checkoutsPending: state.pending.length };
}
function band(n: number): Band {
  return n > 50 ? "green" : n >= LOW ? "yellow" : "red";
}
function balance(): Balance_Serialize {
  return {
    remaining: state.remaining, freeRemaining: state.remaining, purchasedRemaining: 0, total: state.total,
    lastReset: "2026-11-01T00:00:00Z", nextReset: "2026-12-01T00:00:00Z", pro: state.proUntil !== null, proUntil: state.proUntil,
    band: band(state.remaining), low: state.remaining < LOW,
  };
}
function ledger(kind: EntryKind, action: Action | null, amount: number, reference: string | null) {
  state.ledger.push({
    id: state.nextLedger++, userId: "local", kind, action, amount, freeDelta: amount, purchasedDelta: 0,
    nominalCost: action ? COSTS.chatMessage : null, balanceAfter: state.remaining, reference, refundOf: null,
    idempotencyKey: `k${state.nextLedger}`, createdAt: now(),
  });
}
function newSession(title: string | null): Session {
  const id = state.nextSession++;
  const t = now();
  const s: Session = { id, displayId: `CH-${String(id).padStart(6, "0")}`, title, createdAt: t, updatedAt: t, messageCount: 0, activeLeafId: null,
    systemPrompt: null, reasoningEffort: null, model: null };
  state.sessions.push(s);
  return s;
}
/**
 * A message as the core stores it: a user message carries what its send was
 * charged. It follows `parentId` (default: the session's active leaf) and
 * becomes the active leaf, as the core's messages form a tree.
 */
function addMessage(sessionId: number, role: Role, content: string, status: MessageStatus = "complete", charged = COSTS.chatMessage,
  parentId?: number | null): Message {
  const t = now();
  const s = state.sessions.find((x) => x.id === sessionId)!;
  const m: Message = { id: state.nextMessage++, sessionId, role, content, tokens: status === "streaming" ? null : Math.ceil(content.length / 4),
    creditsUsed: role === "user" ? charged : 0, status, error: null, createdAt: t, updatedAt: t,
    parentId: parentId === undefined ? (s.activeLeafId ?? null) : parentId, model: null, reasoningEffort: null };
  state.messages.push(m);
  s.activeLeafId = m.id;
  s.messageCount = activePath(s).length;
  s.updatedAt = t;
  return m;
}

/** An upload as the core would store it (PNG by its magic bytes, else UTF-8 text without NUL); null when refused. */
function sniff(upload: AttachmentUpload): Omit<AttachmentInfo & { dataUrl: string }, "id" | "messageId"> | null {
  const bytes = Uint8Array.from(atob(upload.dataBase64), (c) => c.charCodeAt(0));
  const png = [0x89, 0x50, 0x4e, 0x47].every((b, i) => bytes[i] === b);
  if (png) {
    return { name: upload.name, kind: "image", mime: "image/png", sizeBytes: bytes.length, tokens: 0, dataUrl: `data:image/png;base64,${upload.dataBase64}` };
  }
  if (bytes.includes(0)) return null;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return { name: upload.name, kind: "text", mime: "text/plain; charset=utf-8", sizeBytes: bytes.length, tokens: Math.ceil(text.length / 4), dataUrl: "" };
  } catch {
    return null;
  }
}

/** The session's active path, first message first. */
function activePath(s: Session): Message[] {
  const byId = new Map(state.messages.filter((m) => m.sessionId === s.id).map((m) => [m.id, m]));
  const path: Message[] = [];
  for (let at = s.activeLeafId == null ? undefined : byId.get(s.activeLeafId); at; at = at.parentId == null ? undefined : byId.get(at.parentId)) {
    path.unshift(at);
  }
  return path;
}

/** The versions of each message of `page` that has several, as the core lists them. */
function branchesOf(page: Message[]): { messageId: number; versions: number[] }[] {
  return page.flatMap((m) => {
    const versions = state.messages.filter((o) => o.sessionId === m.sessionId && o.parentId === m.parentId).map((o) => o.id);
    return versions.length > 1 ? [{ messageId: m.id, versions }] : [];
  });
}

function newProject(name: string, description: string): Project {
  const id = state.nextProject++;
  const t = now();
  const p: Project = { id, displayId: `PR-${String(id).padStart(6, "0")}`, name, description, status: "active", createdAt: t, updatedAt: t };
  state.projects.push(p);
  return p;
}
function projectView(p: Project): ProjectView {
  const tasks = state.tasks.filter((t) => t.projectId === p.id);
  return { ...p, openTasks: tasks.filter((t) => t.status !== "done").length, totalTasks: tasks.length };
}
function taskView(t: Task): Task_Serialize {
  const p = state.projects.find((x) => x.id === t.projectId)!;
  return { ...t, projectDisplayId: p.displayId };
}
function newTask(projectId: number, task: { title: string; description?: string | null; status?: TaskStatus; priority?: Priority | null; dueDate?: string | null }): Task {
  const id = state.nextTask++;
  const t = now();
  const row: Task = {
    id, projectId, displayId: `TK-${String(id).padStart(6, "0")}`, title: task.title, description: task.description ?? "",
    status: task.status ?? "todo", priority: task.priority ?? "medium", dueDate: task.dueDate ?? null, createdAt: t, updatedAt: t,
  };
  state.tasks.push(row);
  state.projects.find((p) => p.id === projectId)!.updatedAt = t;
  return row;
}
function findProject(id: number): Project | undefined {
  return state.projects.find((p) => p.id === id);
}

// Seed data: a monthly reset, then the given sessions and projects.
for (const sp of seed.projects ?? []) {
  const p = newProject(sp.name, sp.description ?? "");
  for (const t of sp.tasks ?? []) newTask(p.id, t);
  if (sp.archived) p.status = "archived";
}
ledger("monthly_reset", null, state.remaining, null);
for (const s of seed.sessions ?? []) {
  const session = newSession(s.title);
  session.model = s.model ?? null;
  for (const m of s.messages) addMessage(session.id, m.role, m.content);
}

const internals = () => (window as unknown as { __TAURI_INTERNALS__: { invoke: Function; runCallback: Function } }).__TAURI_INTERNALS__;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function emitCore(payload: unknown) {
  return internals().invoke("plugin:event|emit", { event: "core-event", payload });
}
function emitPurchaseCheck(payload: unknown) {
  return internals().invoke("plugin:event|emit", { event: "purchase-check", payload });
}
/** What the shell's `show_main_screen` tells the main window (another page here). */
function emitMainScreen(screen: MainScreen) {
  return internals().invoke("plugin:event|emit", { event: "main-screen-requested", payload: { screen } });
}

/** Reconcile: fulfil what was paid, as the core does (events, then the report). */
async function fulfil(product: Product) {
  const info = PRODUCTS.find((p) => p.product === product)!;
  const i = state.pending.findIndex((p) => p.product === product);
  if (i >= 0) state.pending.splice(i, 1);
  if (info.credits === null) {
    state.proUntil = "2026-12-25T09:00:00Z";
  } else {
    state.remaining += info.credits;
    state.total += info.credits;
    ledger("purchase", null, info.credits, `in_fake_${state.nextLedger}`);
  }
  await emitCore({ type: "purchase_fulfilled", product, credits: info.credits });
  await emitCore({ type: "credits_changed", remaining: state.remaining, total: state.total });
  return { invoiceId: `in_fake_${state.nextLedger}`, product, credits: info.credits ?? 0 };
}
function channelSender(channel: Channel) {
  let index = 0;
  return (message: unknown) => internals().runCallback(channel.id, { index: index++, message });
}
const fail = (code: string, message: string, extra: object = {}) => Promise.reject({ code, message, ...extra });

function defaultReply(content: string): string {
  return `You asked: **${content.slice(0, 60)}**\n\nHere is a short answer with a list:\n\n- first point\n- second point\n\n\`\`\`js\nconsole.log("hello");\n\`\`\`\n\nThat is all.`;
}

async function stream(sessionId: number, send: (m: unknown) => void, reply: Message, text: string, modelId: string) {
  const control = { stop: false };
  state.streaming.set(sessionId, control);
  const both = async (ev: object) => {
    send(ev);
    await emitCore(ev);
  };
  await both({ type: "reply_started", sessionId, messageId: reply.id });
  await sleep(state.firstDelayMs);
  let status: MessageStatus = "complete";
  for (let i = 0; i < text.length; i += state.chunk) {
    if (control.stop) {
      status = "stopped";
      break;
    }
    const delta = text.slice(i, i + state.chunk);
    reply.content += delta;
    await both({ type: "reply_delta", sessionId, messageId: reply.id, delta });
    await sleep(state.delayMs);
  }
  reply.status = status;
  reply.tokens = Math.ceil(reply.content.length / 4);
  // Who answered, as the core records it: the chat's model's deployment or model id.
  const session = state.sessions.find((x) => x.id === sessionId);
  reply.model = reply.content ? modelId : null;
  reply.reasoningEffort = reply.content ? (session?.reasoningEffort ?? null) : null;
  await both({ type: "reply_finished", sessionId, messageId: reply.id, status, tokens: reply.tokens });
  state.streaming.delete(sessionId);
}

/** Charges a paid action; `refund` gives it back, as the core does on failure. */
async function charge(action: Action, cost: number): Promise<{ refund: () => Promise<void>; entry: Ledger }> {
  if (state.remaining < cost) return fail("insufficient_credits", "Not enough credits", { needed: cost, available: state.remaining });
  state.remaining -= cost;
  ledger("spend", action, -cost, null);
  const entry = state.ledger[state.ledger.length - 1];
  await emitCore({ type: "credits_changed", remaining: state.remaining, total: state.total });
  return {
    entry,
    refund: async () => {
      state.remaining += cost;
      ledger("refund", action, cost, null);
      await emitCore({ type: "credits_changed", remaining: state.remaining, total: state.total });
    },
  };
}

/** Pays for a chat message; returns what was charged (nothing while Pro is active, as in the core). */
async function spend(): Promise<number> {
  const cost = state.proUntil === null ? COSTS.chatMessage : 0;
  if (state.remaining < cost) return fail("insufficient_credits", "Not enough credits", { needed: cost, available: state.remaining });
  const before = state.remaining;
  state.remaining -= cost;
  ledger("spend", "chat_message", -cost, null);
  await emitCore({ type: "credits_changed", remaining: state.remaining, total: state.total });
  if (before >= LOW && state.remaining < LOW) await emitCore({ type: "credits_low", remaining: state.remaining });
  return cost;
}

// tauri-plugin-store: each file is kept in localStorage, so it outlives a
// reload as the real file does.
const stores: string[] = [];
function storeFile(rid: number): Record<string, unknown> {
  return JSON.parse(localStorage.getItem(`fake-store:${stores[rid]}`) ?? "{}");
}
function storeRid(path: string): number {
  const known = stores.indexOf(path);
  return known >= 0 ? known : stores.push(path) - 1;
}

function snippet(content: string, q: string): string {
  const at = content.toLowerCase().indexOf(q.toLowerCase());
  const start = Math.max(0, at - 30);
  const end = Math.min(content.length, at + q.length + 30);
  return `${start > 0 ? "…" : ""}${content.slice(start, at)}\u0002${content.slice(at, at + q.length)}\u0003${content.slice(at + q.length, end)}${end < content.length ? "…" : ""}`;
}

async function handle(cmd: string, args: Record<string, any>): Promise<unknown> {
  state.calls.push({ cmd, args: cmd === "send_message" || cmd === "regenerate_reply" ? { ...args, onEvent: "channel" } : args });
  switch (cmd) {
    // Local mode: these tests never sign in (the real app's sign-in is
    // driven over WebDriver against a real server).
    case "account_status": {
      const a = seed.account;
      return {
        account: a ? { server: a.server, userId: "user-1", displayName: a.displayName, email: null, deviceId: "device-1", signedInAt: "2026-11-24T18:00:00Z" } : null,
        signingIn: false, suggestedServer: null,
      };
    }
    case "list_devices":
      if (seed.account) return [];
      return fail("not_signed_in", "the fake core is not signed in");
    case "begin_sign_in":
    case "sign_out":
    case "sign_out_other_devices":
      return fail("not_signed_in", "the fake core is never signed in");
    case "cancel_sign_in":
      return null;
    // Local mode: nothing to import into.
    case "import_status":
      return null;
    case "import_local_history":
    case "remove_imported_history":
      return fail("not_signed_in", "the fake core is never signed in");
    case "get_credits":
      return balance();
    case "get_costs":
      return COSTS;
    case "list_sessions": {
      const sorted = [...state.sessions].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
      const offset = args.cursor ? Number(args.cursor) : 0;
      const limit = args.limit ?? 50;
      const page = sorted.slice(offset, offset + limit);
      return { sessions: page, nextCursor: offset + limit < sorted.length ? String(offset + limit) : null };
    }
    case "rename_session": {
      const s = state.sessions.find((x) => x.id === args.sessionId);
      if (!s) return fail("not_found", "No such session");
      s.title = args.title;
      s.updatedAt = now();
      return s;
    }
    case "delete_session": {
      const s = state.sessions.find((x) => x.id === args.sessionId);
      if (!s) return fail("not_found", "No such session");
      state.sessions = state.sessions.filter((x) => x !== s);
      state.messages = state.messages.filter((m) => m.sessionId !== s.id);
      return s;
    }
    case "list_messages": {
      const session = state.sessions.find((x) => x.id === args.sessionId);
      if (!session) return fail("not_found", "No such session");
      const all = activePath(session).filter((m) => args.before == null || m.id < args.before);
      const limit = args.limit ?? 50;
      const page = all.slice(-limit);
      const ids = new Set(page.map((m) => m.id));
      const attachments = state.attachments.filter((a) => ids.has(a.messageId)).map(({ dataUrl: _, ...info }) => info);
      return { messages: page, olderCursor: all.length > page.length ? page[0].id : null, branches: branchesOf(page), attachments };
    }
    case "get_attachment": {
      const a = state.attachments.find((x) => x.id === args.attachmentId);
      const m = a && state.messages.find((x) => x.id === a.messageId && x.sessionId === args.sessionId);
      if (!a || !m) return fail("not_found", "No such attachment");
      return { name: a.name, mime: a.mime, dataUrl: a.dataUrl };
    }
    case "get_session": {
      const session = state.sessions.find((x) => x.id === args.sessionId);
      if (!session) return fail("not_found", "No such session");
      return { ...session };
    }
    case "switch_branch": {
      const session = state.sessions.find((x) => x.id === args.sessionId);
      const target = state.messages.find((m) => m.id === args.messageId && m.sessionId === args.sessionId);
      if (!session || !target) return fail("not_found", "No such message in this session");
      // The newest message after the chosen version.
      let leaf = target;
      for (let next = leaf; next; next = state.messages.filter((m) => m.parentId === next!.id).at(-1)!) leaf = next;
      session.activeLeafId = leaf.id;
      session.messageCount = activePath(session).length;
      return session;
    }
    // A chat's settings, kept on its session (a new one without an id); the
    // core's rule that a blank prompt is the app's own is followed here.
    case "set_session_settings": {
      // A model that is not configured is refused before a chat is started or changed.
      const model = args.settings.model ?? null;
      if (model !== null && !modelChoices().some((m) => m.name === model)) return modelNotFound(model);
      const session = args.sessionId == null ? newSession(null) : state.sessions.find((x) => x.id === args.sessionId);
      if (!session) return fail("not_found", "No such session");
      const prompt = String(args.settings.systemPrompt ?? "").trim();
      session.systemPrompt = prompt === "" ? null : prompt;
      session.reasoningEffort = args.settings.reasoningEffort ?? null;
      session.model = model;
      // A copy, as IPC would send: the app never holds the fake's own rows.
      return { ...session };
    }
    case "list_personas":
      return [...state.personas].sort((a, b) => a.name.localeCompare(b.name));
    case "save_persona": {
      const { name, prompt, reasoningEffort } = args.persona;
      if (!String(name).trim() || !String(prompt).trim()) return fail("invalid_input", "name and prompt are required", { field: "name" });
      const t = now();
      const p: Persona = { name: String(name).trim(), prompt: String(prompt).trim(), reasoningEffort: reasoningEffort ?? null, createdAt: t, updatedAt: t };
      state.personas = state.personas.filter((x) => x.name.toLowerCase() !== p.name.toLowerCase()).concat(p);
      return p;
    }
    case "delete_persona": {
      const p = state.personas.find((x) => x.name.toLowerCase() === String(args.name).trim().toLowerCase());
      if (!p) return fail("not_found", "No such persona");
      state.personas = state.personas.filter((x) => x !== p);
      return p;
    }
    case "search_messages": {
      const q = String(args.query).trim();
      return state.messages
        .filter((m) => q && m.content.toLowerCase().includes(q.toLowerCase()))
        .slice(0, args.limit ?? 20)
        .map((m) => {
          const s = state.sessions.find((x) => x.id === m.sessionId)!;
          return { messageId: m.id, sessionId: s.id, sessionDisplayId: s.displayId, sessionTitle: s.title, role: m.role,
            snippet: snippet(m.content, q), createdAt: m.createdAt };
        });
    }
    case "send_message": {
      const req = args.request;
      if (req.sessionId != null && state.streaming.has(req.sessionId)) return fail("session_busy", "A reply is streaming");
      // As the core: attachments are checked before anything is paid.
      const files = ((req.attachments ?? []) as AttachmentUpload[]).map(sniff);
      if (files.some((f) => f === null)) return fail("attachment_not_text", "That file is not a text file");
      // The chat's own model, else the default; refused before anything is paid.
      const existing = req.sessionId == null ? undefined : state.sessions.find((x) => x.id === req.sessionId);
      const model = await answeringModel(existing);
      if (!model.summary.vision && files.some((f) => f!.kind === "image")) {
        return fail("model_cannot_see", `${model.summary.label ?? model.summary.name} cannot see images; choose a vision-capable model or remove the image`);
      }
      const charged = await spend();
      const session = existing ?? newSession(null);
      if (!session.title) session.title = req.content.slice(0, 40);
      const edited = req.editOf == null ? undefined : state.messages.find((m) => m.id === req.editOf && m.sessionId === session.id);
      if (req.editOf != null && (!edited || edited.role !== "user")) return fail("not_found", "No such message of yours in this session");
      const user = addMessage(session.id, "user", req.content, "complete", charged, edited ? edited.parentId : undefined);
      for (const f of files) state.attachments.push({ ...f!, id: state.nextAttachment++, messageId: user.id });
      const reply = addMessage(session.id, "assistant", "", "streaming");
      await stream(session.id, channelSender(args.onEvent), reply, state.replies.shift() ?? defaultReply(req.content), model.id);
      return { session, userMessage: user, reply, balance: balance() };
    }
    case "regenerate_reply": {
      const session = state.sessions.find((x) => x.id === args.sessionId)!;
      const model = await answeringModel(session);
      await spend();
      // The old reply stays, as another version of the new one.
      const path = activePath(session);
      const user = [...path].reverse().find((m) => m.role === "user")!;
      const reply = addMessage(session.id, "assistant", "", "streaming", 0, user.id);
      await stream(session.id, channelSender(args.onEvent), reply, state.replies.shift() ?? "A regenerated answer.", model.id);
      return { session, userMessage: user, reply, balance: balance() };
    }
    case "new_idempotency_key":
      return `fake-key-${++state.keys}`;
    case "stop_reply": {
      const control = state.streaming.get(args.sessionId);
      if (control) control.stop = true;
      return Boolean(control);
    }
    case "ledger_history": {
      const all = [...state.ledger].reverse().filter((e) => args.before == null || e.id < args.before);
      const page = all.slice(0, args.limit ?? 50);
      return { entries: page, olderCursor: all.length > page.length ? page[page.length - 1].id : null };
    }
    // The single-model commands: the default model (the UI no longer uses them).
    case "get_provider_settings": {
      const m = state.models.find((x) => x.name === defaultModelName());
      const key = m ? state.modelKeys.has(endpointOf(m.config)) : false;
      return { source: m?.environment ? "environment" : m ? "settings" : "none", config: m?.config ?? null, keyConfigured: key,
        keySource: key ? "keyring" : "none", label: m ? summaryOf(m).label : null };
    }
    case "save_provider_settings": {
      const m = state.models.find((x) => x.name === defaultModelName());
      if (m) m.config = args.input.config;
      else state.models.push({ name: modelIdOf(args.input.config), config: args.input.config, environment: false });
      return handle("get_provider_settings", {});
    }
    case "test_connection": {
      const name = args.name ?? defaultModelName();
      if (name === null) return fail("provider_not_configured", "no chat model is configured");
      const m = state.models.find((x) => x.name === name);
      if (!m) return modelNotFound(name);
      const summary = summaryOf(m);
      if (summary.problem) return fail("provider_not_configured", summary.problem);
      return { label: summary.label, latencyMs: 412 };
    }
    case "list_models":
      return modelChoices();
    case "configured_models":
      return configuredModels();
    case "save_model":
      return saveModel(args.input);
    // Removing a model sends its chats to the default (as the core does, in one transaction).
    case "delete_model": {
      const m = state.models.find((x) => x.name === args.name && !x.environment);
      if (!m) return fail("not_found", `model ${args.name} not found`);
      state.models = state.models.filter((x) => x !== m);
      for (const s of state.sessions) if (s.model === m.name) s.model = null;
      if (state.defaultModel === m.name) state.defaultModel = null;
      return configuredModels();
    }
    case "set_default_model": {
      if (!state.models.some((x) => x.name === args.name && !x.environment)) return fail("not_found", `model ${args.name} not found`);
      state.defaultModel = args.name;
      return configuredModels();
    }
    case "get_shortcut":
      return state.shortcut;
    case "set_shortcut":
      state.shortcut = args.shortcut;
      return state.shortcut;
    case "save_export":
      return `/home/user/Downloads/CH-${String(args.sessionId).padStart(6, "0")}.${args.format === "json" ? "json" : "md"}`;
    case "open_link":
    case "open_quick_chat":
    case "show_main_screen":
      return null;
    case "plugin:window|hide":
      return null;
    case "plugin:store|load":
      return storeRid(args.path);
    case "plugin:store|get": {
      const file = storeFile(args.rid);
      return [file[args.key] ?? null, args.key in file];
    }
    case "plugin:store|set": {
      const file = storeFile(args.rid);
      file[args.key] = args.value;
      localStorage.setItem(`fake-store:${stores[args.rid]}`, JSON.stringify(file));
      return null;
    }
    case "list_products":
      return structuredClone(PRODUCTS);
    case "purchase_status":
      // Copies: the real IPC hands the UI fresh objects.
      return structuredClone({ configured: state.billingConfigured, pending: state.pending });
    case "start_checkout": {
      if (!state.billingConfigured) return fail("billing_not_configured", "No Autumn secret key is configured");
      if (state.checkoutError) {
        const e = state.checkoutError;
        state.checkoutError = null;
        return fail(e.code, e.message);
      }
      const reference = `ref_${state.nextRef++}`;
      state.pending.push({ reference, product: args.product, createdAt: now() });
      return { url: `https://checkout.example.com/pay/${reference}`, reference, product: args.product };
    }
    case "sync_purchases": {
      if (state.syncError) {
        const e = state.syncError;
        state.syncError = null;
        return fail(e.code, e.message);
      }
      const fulfilled = [];
      for (const product of state.paid.splice(0)) fulfilled.push(await fulfil(product));
      return structuredClone({ fulfilled, proUntil: state.proUntil, pending: state.pending });
    }
    case "list_projects":
      return state.projects
        .filter((p) => args.includeArchived || p.status === "active")
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
        .map(projectView);
    case "get_project": {
      const p = findProject(args.projectId);
      if (!p) return fail("not_found", "No such project");
      return {
        project: projectView(p),
        tasks: state.tasks.filter((t) => t.projectId === p.id).map(taskView),
        sources: state.sources.filter((x) => x.projectId === p.id).reverse(),
      };
    }
    case "create_project": {
      if (!String(args.name).trim()) return fail("validation", "A project needs a name", { field: "name" });
      return projectView(newProject(args.name, args.description));
    }
    case "update_project": {
      const p = findProject(args.projectId);
      if (!p) return fail("not_found", "No such project");
      const u = args.update ?? {};
      if (u.name != null) p.name = u.name;
      if (u.description != null) p.description = u.description;
      if (u.status != null) p.status = u.status;
      p.updatedAt = now();
      return projectView(p);
    }
    case "set_project_archived": {
      const p = findProject(args.projectId);
      if (!p) return fail("not_found", "No such project");
      p.status = args.archived ? "archived" : "active";
      p.updatedAt = now();
      return projectView(p);
    }
    case "list_tasks":
      return state.tasks
        .filter((t) => (args.projectId == null || t.projectId === args.projectId) && (!args.openOnly || t.status !== "done"))
        .filter((t) => findProject(t.projectId)?.status === "active" || args.projectId != null)
        .map(taskView);
    case "add_task": {
      if (!findProject(args.projectId)) return fail("not_found", "No such project");
      if (!String(args.task?.title ?? "").trim()) return fail("validation", "A task needs a title", { field: "title" });
      return taskView(newTask(args.projectId, args.task));
    }
    case "update_task": {
      const t = state.tasks.find((x) => x.id === args.taskId);
      if (!t) return fail("not_found", "No such task");
      const u: TaskUpdate_Deserialize = args.update ?? {};
      if (u.title != null) t.title = u.title;
      if (u.description != null) t.description = u.description;
      if (u.status != null) t.status = u.status;
      if (u.priority != null) t.priority = u.priority;
      if ("dueDate" in u) t.dueDate = u.dueDate ?? null;
      t.updatedAt = now();
      findProject(t.projectId)!.updatedAt = t.updatedAt;
      return taskView(t);
    }
    case "delete_task": {
      const t = state.tasks.find((x) => x.id === args.taskId);
      if (!t) return fail("not_found", "No such task");
      state.tasks = state.tasks.filter((x) => x !== t);
      return null;
    }
    case "generate_project": {
      const prompt = String(args.prompt);
      const paid = await charge("project_generation", COSTS.projectGeneration);
      await sleep(state.workMs);
      if (prompt.includes("[[fail]]")) {
        await paid.refund();
        return fail("invalid_model_output", "The model's answer was not a valid project");
      }
      const name = prompt.replace(/\s+/g, " ").trim().slice(0, 40);
      const p = newProject(name, `Planned by AI from: ${prompt}`);
      const tasks = ["Outline the scope", "Draft the first version", "Review and ship"].map((title, i) =>
        newTask(p.id, { title, priority: i === 0 ? "high" : "medium" }),
      );
      return { project: projectView(p), tasks: tasks.map(taskView), spend: paid.entry, repaired: false, replayed: false };
    }
    case "scrape_url": {
      const url = String(args.url);
      if (!/^https?:\/\/[^/]+/i.test(url)) return fail("bad_url", "Only http and https addresses can be saved");
      if (args.projectId != null && !findProject(args.projectId)) return fail("not_found", "No such project");
      const paid = await charge("url_scrape", COSTS.urlScrape);
      await sleep(state.workMs);
      if (url.includes("/missing")) {
        await paid.refund();
        return fail("not_found", "The page was not found (404)");
      }
      const host = new URL(url).hostname;
      const title = `An article on ${host}`;
      const created = args.projectId == null;
      const p = created ? newProject(title, `Started from ${url}`) : findProject(args.projectId)!;
      const text = `This is the main text of the page at ${host}. <b>Markup stays text.</b>\n\n` + "Readable paragraph. ".repeat(30);
      const source = { id: state.nextSource++, projectId: p.id, title, text, sourceUrl: url, fetchedAt: now() };
      state.sources.push(source);
      p.updatedAt = source.fetchedAt;
      return { source, project: projectView(p), createdProject: created, spend: paid.entry, replayed: false };
    }
    case "check_for_update": {
      const u = state.update;
      const offer: UpdateOffer | null = u
        ? { version: u.version, currentVersion: "0.1.0", notes: u.notes ?? null, date: u.date ?? null }
        : null;
      return offer;
    }
    case "update_blockers":
      return updateBlockers();
    case "install_update": {
      // The same order of refusals as the shell's guard.
      const blockers = updateBlockers();
      if (blockers.repliesStreaming > 0) return fail("update_reply_streaming", "A reply is still streaming");
      if (blockers.checkoutsPending > 0) return fail("update_checkout_pending", "A checkout is still waiting for its payment");
      if (state.update?.version !== args.version) return fail("update_not_offered", `Banter ${args.version} is no longer offered`);
      await sleep(state.workMs);
      state.installed = args.version;
      return null;
    }
    default:
      return fail("bad_request", `fake core: unknown command ${cmd}`);
  }
}

mockWindows(new URLSearchParams(location.search).get("window") === "quick" ? "quick-chat" : "main");
mockIPC((cmd, args) => handle(cmd, (args ?? {}) as Record<string, any>), { shouldMockEvents: true });

// Test controls.
const fake = {
  state,
  setBalance: async (n: number) => {
    state.remaining = n;
    await emitCore({ type: "credits_changed", remaining: n, total: state.total });
  },
  queueReply: (text: string) => state.replies.push(text),
  calls: (cmd?: string) => state.calls.filter((c) => !cmd || c.cmd === cmd),
  emit: emitCore,
  emitPurchaseCheck,
  emitMainScreen,
  /** The payment reaches Autumn and a reconcile (start-up, polling) fulfils it. */
  fulfil,
  /** The payment is made; the next sync_purchases fulfils it. */
  pay: (product: Product) => state.paid.push(product),
};
(window as unknown as { __fake: typeof fake }).__fake = fake;
