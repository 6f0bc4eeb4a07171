// The one door to the Rust core. Every component and store goes through
// these wrappers (never `invoke` directly), so unit tests can replace this
// module and the generated `bindings.ts` stays the single source of types.
import { Channel } from "@tauri-apps/api/core";
import { getCurrentWebviewWindow } from "@tauri-apps/api/webviewWindow";
import {
  commands,
  events,
  type ApiError,
  type DomainEvent,
  type ErrorCode,
  type ExportFormat,
  type ImportProgress,
  type MainScreen,
  type NewTask_Deserialize,
  type ProjectUpdate_Deserialize,
  type TaskUpdate_Deserialize,
  type Product,
  type PurchaseCheck,
  type AccountChanged,
  type ProviderSettingsInput,
  type ModelInput_Deserialize,
  type SendMessageRequest,
  type SessionSettings_Deserialize,
  type NewPersona_Deserialize,
  type AtSignOut,
} from "../bindings";

/** A command answered with an `ApiError`; `code` is what the UI branches on. */
export class ApiFailure extends Error {
  readonly error: ApiError;
  constructor(error: ApiError) {
    super(error.message);
    this.error = error;
  }
  get code(): ErrorCode {
    return this.error.code;
  }
}

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: ApiError };

/**
 * Codes that mean the server signed this device out (elsewhere, or because
 * its refresh token was copied): the core has already forgotten the sign-in,
 * so every window must drop what it holds of the account (its ids name the
 * server's sessions, not this computer's).
 */
const SIGNED_OUT_BY_SERVER: ReadonlySet<ErrorCode> = new Set(["device_revoked", "refresh_token_reused"]);
const accountListeners = new Set<(change: AccountChanged) => void>();

async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const result = await call;
  if (result.status === "error") {
    const error = asCoreError(result.error);
    if (SIGNED_OUT_BY_SERVER.has(error.code)) {
      for (const listener of accountListeners) listener({ account: null, error: null });
    }
    throw new ApiFailure(error);
  }
  return result.data;
}

/**
 * The core's typed error, or Tauri's own refusal (a plain string, e.g. a
 * command called with arguments it does not take) as an `ipc` error.
 */
function asCoreError(error: unknown): ApiError {
  const typed = error as Partial<ApiError> | null;
  if (typeof typed === "object" && typed !== null && typeof typed.code === "string" && typeof typed.message === "string") {
    return typed as ApiError;
  }
  return { code: "ipc", message: typeof error === "string" ? error : JSON.stringify(error) };
}

/** The `ApiError` behind any thrown value (IPC faults become `ipc`). */
export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiFailure) return e.error;
  return { code: "ipc", message: e instanceof Error ? e.message : String(e) };
}

/** Errors that mean the local data cannot be trusted: show them as fatal. */
export function isFatal(code: ErrorCode): boolean {
  return code.startsWith("database");
}

function channel(onEvent: (event: DomainEvent) => void): Channel<DomainEvent> {
  const ch = new Channel<DomainEvent>();
  ch.onmessage = onEvent;
  return ch;
}

export const api = {
  accountStatus: () => unwrap(commands.accountStatus()),
  beginSignIn: (server: string) => unwrap(commands.beginSignIn(server)),
  cancelSignIn: () => unwrap(commands.cancelSignIn()),
  listDevices: () => unwrap(commands.listDevices()),
  signOut: (hereOnly = false, copy: AtSignOut = "remove_copy") => unwrap(commands.signOut(hereOnly, copy)),
  signOutOtherDevices: () => unwrap(commands.signOutOtherDevices()),
  importStatus: () => unwrap(commands.importStatus()),
  importLocalHistory: (onProgress: (progress: ImportProgress) => void) => {
    const ch = new Channel<ImportProgress>();
    ch.onmessage = onProgress;
    return unwrap(commands.importLocalHistory(ch));
  },
  removeImportedHistory: () => unwrap(commands.removeImportedHistory()),
  getCredits: () => unwrap(commands.getCredits()),
  getCosts: () => unwrap(commands.getCosts()),
  ledgerHistory: (before: number | null, limit: number | null) => unwrap(commands.ledgerHistory(before, limit)),
  listSessions: (cursor: string | null, limit: number | null) => unwrap(commands.listSessions(cursor, limit)),
  renameSession: (sessionId: number, title: string) => unwrap(commands.renameSession(sessionId, title)),
  switchBranch: (sessionId: number, messageId: number) => unwrap(commands.switchBranch(sessionId, messageId)),
  getSession: (sessionId: number) => unwrap(commands.getSession(sessionId)),
  deleteSession: (sessionId: number) => unwrap(commands.deleteSession(sessionId)),
  listMessages: (sessionId: number, before: number | null, limit: number | null) =>
    unwrap(commands.listMessages(sessionId, before, limit)),
  getAttachment: (sessionId: number, attachmentId: number) => unwrap(commands.getAttachment(sessionId, attachmentId)),
  searchMessages: (query: string, limit: number | null) => unwrap(commands.searchMessages(query, limit)),
  saveExport: (sessionId: number, format: ExportFormat) => unwrap(commands.saveExport(sessionId, format)),
  sendMessage: (request: SendMessageRequest, onEvent: (event: DomainEvent) => void) =>
    unwrap(commands.sendMessage(request, channel(onEvent))),
  stopReply: (sessionId: number) => unwrap(commands.stopReply(sessionId)),
  newIdempotencyKey: () => commands.newIdempotencyKey(),
  regenerateReply: (sessionId: number, includeContext: boolean, onEvent: (event: DomainEvent) => void) =>
    unwrap(commands.regenerateReply(sessionId, includeContext, channel(onEvent))),
  setSessionSettings: (sessionId: number | null, settings: SessionSettings_Deserialize) =>
    unwrap(commands.setSessionSettings(sessionId, settings)),
  listPersonas: () => unwrap(commands.listPersonas()),
  savePersona: (persona: NewPersona_Deserialize) => unwrap(commands.savePersona(persona)),
  deletePersona: (name: string) => unwrap(commands.deletePersona(name)),
  // The single-model commands edit the default model; Settings now edits
  // the list of models (below). Kept: every command has its wrapper here.
  getProviderSettings: () => unwrap(commands.getProviderSettings()),
  saveProviderSettings: (input: ProviderSettingsInput) => unwrap(commands.saveProviderSettings(input)),
  /** A one-line request to the model called `name` (null: the default). */
  testConnection: (name: string | null) => unwrap(commands.testConnection(name)),
  /** The models a chat can be answered by (the server's when signed in). */
  listModels: () => unwrap(commands.listModels()),
  /** This computer's models, as Settings edits them. */
  configuredModels: () => unwrap(commands.configuredModels()),
  saveModel: (input: ModelInput_Deserialize) => unwrap(commands.saveModel(input)),
  deleteModel: (name: string) => unwrap(commands.deleteModel(name)),
  setDefaultModel: (name: string) => unwrap(commands.setDefaultModel(name)),
  getShortcut: () => unwrap(commands.getShortcut()),
  setShortcut: (shortcut: string) => unwrap(commands.setShortcut(shortcut)),
  openLink: (url: string) => unwrap(commands.openLink(url)),
  openQuickChat: () => commands.openQuickChat(),
  showMainScreen: (screen: MainScreen) => commands.showMainScreen(screen),
  listProducts: () => unwrap(commands.listProducts()),
  purchaseStatus: () => unwrap(commands.purchaseStatus()),
  startCheckout: (product: Product) => unwrap(commands.startCheckout(product)),
  syncPurchases: () => unwrap(commands.syncPurchases()),
  listProjects: (includeArchived: boolean) => unwrap(commands.listProjects(includeArchived)),
  getProject: (projectId: number) => unwrap(commands.getProject(projectId)),
  createProject: (name: string, description: string) => unwrap(commands.createProject(name, description)),
  updateProject: (projectId: number, update: ProjectUpdate_Deserialize) => unwrap(commands.updateProject(projectId, update)),
  setProjectArchived: (projectId: number, archived: boolean) => unwrap(commands.setProjectArchived(projectId, archived)),
  listTasks: (projectId: number | null, openOnly: boolean) => unwrap(commands.listTasks(projectId, openOnly)),
  addTask: (projectId: number, task: NewTask_Deserialize) => unwrap(commands.addTask(projectId, task)),
  updateTask: (taskId: number, update: TaskUpdate_Deserialize) => unwrap(commands.updateTask(taskId, update)),
  deleteTask: (taskId: number) => unwrap(commands.deleteTask(taskId)),
  generateProject: (prompt: string, idempotencyKey: string | null) => unwrap(commands.generateProject(prompt, idempotencyKey)),
  scrapeUrl: (url: string, projectId: number | null, idempotencyKey: string | null) =>
    unwrap(commands.scrapeUrl(url, projectId, idempotencyKey)),
  checkForUpdate: () => unwrap(commands.checkForUpdate()),
  updateBlockers: () => unwrap(commands.updateBlockers()),
  installUpdate: (version: string) => unwrap(commands.installUpdate(version)),
};

/**
 * Core events (credits, replies) reach every window; returns an unsubscribe.
 * Listened to on this window rather than app-wide: the shell skips the window
 * that already receives a reply's events over its send's own channel, and it
 * can only tell windows apart by the listener's target.
 */
export function onCoreEvent(cb: (event: DomainEvent) => void): () => void {
  const pending = events.coreEvent(getCurrentWebviewWindow()).listen((e) => cb(e.payload));
  return () => void pending.then((stop) => stop());
}

/** The tray's "New chat" item. */
export function onNewChatRequested(cb: () => void): () => void {
  const pending = events.newChatRequested.listen(() => cb());
  return () => void pending.then((stop) => stop());
}

/** Another window (quick chat's "Buy more") asked the main window for a screen. */
export function onMainScreenRequested(cb: (screen: MainScreen) => void): () => void {
  const pending = events.mainScreenRequested.listen((e) => cb(e.payload.screen));
  return () => void pending.then((stop) => stop());
}

/** What became of a `banter://purchase/…` return link (checking, done, failed). */
export function onPurchaseCheck(cb: (check: PurchaseCheck) => void): () => void {
  const pending = events.purchaseCheck.listen((e) => cb(e.payload));
  return () => void pending.then((stop) => stop());
}

/**
 * The sign-in changed: signed in, signed out (here, or by the server), or a
 * browser sign-in failed.
 */
export function onAccountChanged(cb: (change: AccountChanged) => void): () => void {
  accountListeners.add(cb);
  const pending = events.accountChanged.listen((e) => cb(e.payload));
  return () => {
    accountListeners.delete(cb);
    void pending.then((stop) => stop());
  };
}
