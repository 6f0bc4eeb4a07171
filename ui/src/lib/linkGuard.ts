// The webview must never navigate away from the app. Every click on a link
// that is not one of our hash routes is cancelled here (capture phase, before
// anything else sees it) and, if its scheme is allowed, handed to `open`.
import { isOpenableLink } from "./links";

export function installLinkGuard(open: (url: string) => void): () => void {
  const onClick = (event: MouseEvent) => {
    const target = event.target instanceof Element ? event.target.closest("a") : null;
    if (!target) return;
    const href = target.getAttribute("href");
    if (href !== null && href.startsWith("#")) return; // in-app route
    event.preventDefault();
    if (event.type === "click" && isOpenableLink(href)) open(href);
  };
  document.addEventListener("click", onClick, true);
  document.addEventListener("auxclick", onClick, true);
  return () => {
    document.removeEventListener("click", onClick, true);
    document.removeEventListener("auxclick", onClick, true);
  };
}
