// Window-level UI state shared by the layout and shortcuts.
class UiState {
  searchOpen = $state(false);
  drawerOpen = $state(false);
  navOpen = $state(false);
  /** The keyboard shortcuts sheet (`?`). */
  shortcutsOpen = $state(false);
  /** Bumped to ask the composer to take focus (Ctrl/Cmd+N). */
  focusComposer = $state(0);
}

export const ui = new UiState();

/** True while any modal dialog is showing (Escape belongs to it then). */
export function dialogOpen(): boolean {
  return document.querySelector("dialog[open]") !== null;
}
