// Sets <html data-theme> before the first paint, so a dark window never
// flashes light. A blocking classic script in <head>: the app's own module
// runs only after the page is parsed. It is a file because the CSP allows no
// inline script. The rule is src/lib/theme.ts's `resolveTheme` over the
// choice mirrored under its THEME_CACHE_KEY; src/lib/theme.test.ts runs this
// file and checks that it agrees.
(function () {
  var choice = "system";
  try {
    choice = window.localStorage.getItem("banter.theme") || "system";
  } catch (e) {
    // Storage unavailable: follow the system.
  }
  var systemDark = !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  var dark = choice === "dark" || (choice !== "light" && systemDark);
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
})();
