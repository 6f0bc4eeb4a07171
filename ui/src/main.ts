import { mount } from "svelte";
import App from "./App.svelte";
import "./theme.css";
import "./highlight.css";
import "./app.css";
import "./bootShell.css";

const target = document.getElementById("app");
if (!target) throw new Error("missing #app element");

export default mount(App, { target });
