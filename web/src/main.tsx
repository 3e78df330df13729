// The web app's entry: the session decides between the login screen and the app itself.
import { render } from "preact";
import { App } from "./app.tsx";
import "./style.css";

const root = document.getElementById("app");
if (root) render(<App />, root);
