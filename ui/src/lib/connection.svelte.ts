// Whether the Banter server answers while signed in. Offline, the history
// on screen is this computer's copy and paid actions are refused; the core
// says when this changes (`server_reachable`), and a call refused with
// `offline` says so too (a window opened while offline has heard no change).
import type { ApiError, DomainEvent } from "../bindings";

class ConnectionStore {
  offline = $state(false);

  onEvent(event: DomainEvent): void {
    if (event.type === "server_reachable") this.offline = !event.reachable;
  }

  /** A failed call: `offline` means the server could not be reached. */
  sawError(error: ApiError | null): void {
    if (error?.code === "offline") this.offline = true;
  }

  /** Signed in or out: nothing is known about the new store yet. */
  reset(): void {
    this.offline = false;
  }
}

export const connection = new ConnectionStore();
