import { describe, expect, it } from "vitest";
import { offerText, progressFraction, removedText, reportText } from "./importOffer";

const status = (sessionsLeft: number, projectsLeft: number) => ({
  sessionsLeft,
  projectsLeft,
  sessionsDone: 0,
  projectsDone: 0,
});
const counts = (sessions: number, projects: number) => ({ sessions, messages: 0, projects, tasks: 0, pages: 0 });

describe("the import offer", () => {
  it("names what is left, and nothing when all is imported", () => {
    expect(offerText(status(1000, 3))).toBe("Import 1,000 conversations and 3 projects from this computer");
    expect(offerText(status(1, 0))).toBe("Import 1 conversation from this computer");
    expect(offerText(status(0, 1))).toBe("Import 1 project from this computer");
    expect(offerText(status(0, 0))).toBeNull();
    expect(offerText(null)).toBeNull();
  });

  it("shows progress as a fraction", () => {
    expect(progressFraction(null)).toBe(0);
    expect(progressFraction({ done: 0, total: 0 })).toBe(1);
    expect(progressFraction({ done: 250, total: 1000 })).toBe(0.25);
    expect(progressFraction({ done: 1000, total: 1000 })).toBe(1);
  });

  it("reports what was imported, repeated and left", () => {
    expect(reportText({ imported: counts(2, 1), alreadyImported: counts(0, 0), notImportable: 0 })).toBe(
      "Imported 2 conversations and 1 project.",
    );
    expect(reportText({ imported: counts(1, 0), alreadyImported: counts(40, 0), notImportable: 1 })).toBe(
      "Imported 1 conversation and 0 projects. 40 records were already in the account. 1 record cannot be imported and stayed here.",
    );
    expect(removedText({ sessions: 2, projects: 1, keptChanged: 1 })).toBe(
      "Removed 2 conversations and 1 project from this computer; the account keeps them. 1 record changed since the import stayed.",
    );
  });
});
