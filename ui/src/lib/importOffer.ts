// The import of this computer's local-mode history into the signed-in
// account, as words: the offer, the progress and the outcome. The numbers
// are the core's (what is left, what was done); nothing here counts.
import type { ImportProgress, ImportReport, ImportStatus, RemovedLocal } from "../bindings";

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** "Import 3 conversations and 1 project from this computer", or null when nothing is left. */
export function offerText(status: ImportStatus | null): string | null {
  if (!status || (status.sessionsLeft === 0 && status.projectsLeft === 0)) return null;
  const parts: string[] = [];
  if (status.sessionsLeft > 0) parts.push(plural(status.sessionsLeft, "conversation", "conversations"));
  if (status.projectsLeft > 0) parts.push(plural(status.projectsLeft, "project", "projects"));
  return `Import ${parts.join(" and ")} from this computer`;
}

/** Said with every offer: the local ledger stays behind. */
export const CREDITS_NOTE =
  "Credits from local mode are not transferred (they were never paid for); importing costs nothing.";

/** The progress bar's fraction, 0 to 1 (an empty import is complete). */
export function progressFraction(progress: ImportProgress | null): number {
  if (!progress || progress.total === 0) return progress ? 1 : 0;
  return Math.min(1, progress.done / progress.total);
}

/** "Imported 3 conversations and 1 project." (and what was there already). */
export function reportText(report: ImportReport): string {
  const done = `Imported ${plural(report.imported.sessions, "conversation", "conversations")} and ${plural(
    report.imported.projects,
    "project",
    "projects",
  )}.`;
  const already = report.alreadyImported.sessions + report.alreadyImported.projects;
  const again = already > 0 ? ` ${plural(already, "record was", "records were")} already in the account.` : "";
  const left =
    report.notImportable > 0
      ? ` ${plural(report.notImportable, "record", "records")} cannot be imported and stayed here.`
      : "";
  return done + again + left;
}

/** What removing the imported history from this computer did. */
export function removedText(removed: RemovedLocal): string {
  const kept =
    removed.keptChanged > 0
      ? ` ${plural(removed.keptChanged, "record changed", "records changed")} since the import stayed.`
      : "";
  return `Removed ${plural(removed.sessions, "conversation", "conversations")} and ${plural(
    removed.projects,
    "project",
    "projects",
  )} from this computer; the account keeps them.${kept}`;
}
