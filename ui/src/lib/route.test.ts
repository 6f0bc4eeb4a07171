import { describe, expect, it } from "vitest";
import { chatHref, MAIN_SCREEN_HREF, parseRoute, projectHref, screenHref } from "./route";

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

  it("opens each screen another window may ask for", () => {
    for (const href of Object.values(MAIN_SCREEN_HREF)) expect(parseRoute(href).name).not.toBe("not-found");
    expect(parseRoute(MAIN_SCREEN_HREF.pricing)).toEqual({ name: "pricing" });
  });

  it("names the screen of a route, not the record it shows", () => {
    expect(screenHref(parseRoute(""))).toBe("#/");
    expect(screenHref(parseRoute("#/chat/12?m=40"))).toBe("#/chat");
    expect(screenHref(parseRoute("#/projects/7"))).toBe("#/projects");
    expect(screenHref(parseRoute("#/pricing"))).toBe("#/pricing");
    expect(screenHref(parseRoute("#/nope"))).toBeNull();
    for (const hash of ["#/", "#/chat", "#/projects", "#/credits", "#/settings", "#/pricing"]) {
      expect(screenHref(parseRoute(hash)), hash).toBe(hash);
    }
  });
});
