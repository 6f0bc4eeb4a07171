// The current hash route, kept in sync with the address bar.
import { parseRoute, type Route } from "./route";

class Router {
  route = $state<Route>(parseRoute(typeof location === "undefined" ? "" : location.hash));

  start(): () => void {
    const update = () => (this.route = parseRoute(location.hash));
    window.addEventListener("hashchange", update);
    update();
    return () => window.removeEventListener("hashchange", update);
  }

  go(hash: string): void {
    if (location.hash !== hash) location.hash = hash;
  }
}

export const router = new Router();
