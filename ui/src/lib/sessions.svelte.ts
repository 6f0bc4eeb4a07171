// The session sidebar's list: paged from the core, most recent first.
import type { ApiError, ChatSession } from "../bindings";
import { api, asApiError } from "./api";
import { appendPage, filterSessions, removeSession, upsertSession } from "./sessions";

const PAGE = 50;

export class SessionStore {
  list = $state.raw<ChatSession[]>([]);
  nextCursor = $state<string | null>(null);
  loaded = $state(false);
  loading = $state(false);
  filter = $state("");
  error = $state<ApiError | null>(null);
  visible = $derived(filterSessions(this.list, this.filter));

  async load(): Promise<void> {
    this.loading = true;
    try {
      const page = await api.listSessions(null, PAGE);
      this.list = page.sessions;
      this.nextCursor = page.nextCursor ?? null;
      this.loaded = true;
      this.error = null;
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.loading = false;
    }
  }

  async loadMore(): Promise<void> {
    if (!this.nextCursor || this.loading) return;
    this.loading = true;
    try {
      const page = await api.listSessions(this.nextCursor, PAGE);
      this.list = appendPage(this.list, page.sessions);
      this.nextCursor = page.nextCursor ?? null;
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.loading = false;
    }
  }

  upsert(session: ChatSession): void {
    this.list = upsertSession(this.list, session);
  }

  async rename(id: number, title: string): Promise<void> {
    this.upsert(await api.renameSession(id, title));
  }

  async remove(id: number): Promise<void> {
    await api.deleteSession(id);
    this.list = removeSession(this.list, id);
  }
}

export const sessions = new SessionStore();
