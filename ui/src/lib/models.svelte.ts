// The models a chat can be answered by, as the core lists them: this
// computer's in local mode, the server operator's when signed in. Read by
// the composer's model picker and the chat settings; read again when
// Settings changes the models or the sign-in changes.
import type { ApiError, ModelSummary } from "../bindings";
import { api, asApiError } from "./api";

export class ModelStore {
  list = $state.raw<ModelSummary[]>([]);
  loaded = $state(false);
  error = $state<ApiError | null>(null);
  private seq = 0;

  async load(): Promise<void> {
    const seq = ++this.seq;
    try {
      const list = await api.listModels();
      if (seq !== this.seq) return;
      this.list = list;
      this.loaded = true;
      this.error = null;
    } catch (e) {
      // The list shown stays as it was (offline, say): better than none.
      if (seq === this.seq) this.error = asApiError(e);
    }
  }

  /** Signed in or out: the other store's models, once read. */
  reset(): void {
    this.seq++;
    this.list = [];
    this.loaded = false;
    this.error = null;
  }
}

export const models = new ModelStore();
