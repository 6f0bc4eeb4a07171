// Settings › Updates: asking for a newer version, what would stop its
// install now, and installing it (the core verifies the download against
// Banter's update key, installs it and restarts the app; it refuses while a
// reply streams or a checkout is pending, whatever this store believes).
import type { ApiError, InstallBlockers, UpdateOffer_Serialize as UpdateOffer } from "../bindings";
import { api, asApiError } from "./api";
import { blockerReason } from "./updates";

/** idle: not asked yet; checking: asking; current: nothing newer; offered: a version to install; installing: downloading and installing. */
export type UpdatePhase = "idle" | "checking" | "current" | "offered" | "installing";

/** Refusals that mean "not now": the offer stays and the reasons are re-read. */
const NOT_NOW: ReadonlySet<string> = new Set(["update_reply_streaming", "update_checkout_pending"]);

export class UpdatesStore {
  phase = $state<UpdatePhase>("idle");
  offer = $state.raw<UpdateOffer | null>(null);
  /** What would be interrupted; null when unknown (the core still checks). */
  blockers = $state.raw<InstallBlockers | null>(null);
  error = $state<ApiError | null>(null);

  /** Why the install button is disabled, or null. */
  get waitingFor(): string | null {
    return blockerReason(this.blockers);
  }

  get canInstall(): boolean {
    return this.phase === "offered" && this.offer !== null && this.waitingFor === null;
  }

  async check(): Promise<void> {
    this.phase = "checking";
    this.error = null;
    try {
      this.offer = await api.checkForUpdate();
      this.phase = this.offer ? "offered" : "current";
      if (this.offer) await this.refreshBlockers();
    } catch (e) {
      this.offer = null;
      this.error = asApiError(e);
      this.phase = "idle";
    }
  }

  async refreshBlockers(): Promise<void> {
    try {
      this.blockers = await api.updateBlockers();
    } catch {
      // Unknown: the button stays enabled and the core decides.
      this.blockers = null;
    }
  }

  /** Installs the offered version; on success the app restarts and this never returns to the page. */
  async install(): Promise<void> {
    const offer = this.offer;
    if (!offer || !this.canInstall) return;
    this.phase = "installing";
    this.error = null;
    try {
      await api.installUpdate(offer.version);
    } catch (e) {
      const error = asApiError(e);
      this.error = error;
      if (error.code === "update_not_offered") {
        this.offer = null;
        this.phase = "idle";
        return;
      }
      this.phase = "offered";
      if (NOT_NOW.has(error.code)) await this.refreshBlockers();
    }
  }
}
