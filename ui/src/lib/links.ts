// Which links may leave the app. The core checks again in `open_link`;
// this copy only decides what the UI bothers to send.
const ALLOWED = new Set(["http:", "https:", "mailto:"]);

export function isOpenableLink(href: string | null | undefined): href is string {
  if (!href) return false;
  try {
    return ALLOWED.has(new URL(href).protocol);
  } catch {
    return false; // relative or malformed: nothing to open
  }
}
