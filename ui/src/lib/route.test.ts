import { describe, expect, it } from "vitest";
import { chatHref, parseRoute, projectHref } from "./route";

describe("routes", () => {
  it("parses hash routes", () => {
    expect(parseRoute("")).toEqual({ name: "dashboard" });
    expect(parseRoute("#/")).toEqual({ name: "dashboard" });
    expect(parseRoute("#/chat")).toEqual({ name: "chat", sessionId: null, messageId: null });
    expect(parseRoute("#/chat/12?m=40")).toEqual({ name: "chat", sessionId: 12, messageId: 40 });
    expect(parseRoute("#/credits")).toEqual({ name: "credits" });
    expect(parseRoute("#/chat/abc").name).toBe("not-found");
    expect(parseRoute("#/nope").name).toBe("not-found");
    expect(chatHref(5, 9)).toBe("#/chat/5?m=9");
    expect(parseRoute("#/projects")).toEqual({ name: "projects" });
    expect(parseRoute("#/projects/7")).toEqual({ name: "project", projectId: 7 });
    expect(parseRoute("#/projects/x").name).toBe("not-found");
    expect(parseRoute("#/projects/7/extra").name).toBe("not-found");
    expect(projectHref(7)).toBe("#/projects/7");
  });
});
