// Says, before the first paint, which window this page is and whether it
// opens on the dashboard, as <html data-boot="quick" | "dashboard" | "screen">.
// index.html's static shell (#boot-shell, styled by src/bootShell.css) paints
// before any of the app's code has loaded; it belongs to the main window only
// and shows the dashboard's composer only where the app opens on the
// dashboard. A file because the CSP allows no inline script. The window rule
// is App.svelte's, the dashboard rule src/lib/route.ts's `parseRoute`;
// src/lib/bootShell.test.ts runs this file and checks that both agree.
(function () {
  var quick = new URLSearchParams(window.location.search).get("window") === "quick";
  var path = window.location.hash.replace(/^#/, "").split("?")[0];
  var dashboard = path.split("/").filter(Boolean).length === 0;
  document.documentElement.setAttribute("data-boot", quick ? "quick" : dashboard ? "dashboard" : "screen");
})();
