//! Tauri's build step for the floor: embeds its tauri.conf.json and page.

fn main() {
    tauri_build::build();
}
