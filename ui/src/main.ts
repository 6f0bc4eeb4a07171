import { mount } from "svelte";
import App from "./App.svelte";
import "highlight.js/styles/github.css";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("missing #app element");

export default mount(App, { target });
