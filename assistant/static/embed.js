/* Leadership coach widget: <script src="https://coach.example/embed.js" data-title="Coach"
   data-position="bottom-right|bottom-left" data-accent="#2563eb" data-prompt="..."></script> */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || document.getElementById("lc-widget-button")) return;
  // The folder embed.js is served from: the app's root, also under a proxy's sub-path.
  var base = new URL(".", new URL(script.src, window.location.href)).href;
  var data = script.dataset;
  var title = (data.title || "Leadership coach").slice(0, 60);
  var side = data.position === "bottom-left" ? "left" : "right";
  var accent = /^#[0-9a-fA-F]{3,8}$/.test(data.accent || "") ? data.accent : "#2563eb";
  var prompt = (data.prompt || "").slice(0, 500);

  var button = document.createElement("button");
  button.type = "button";
  button.id = "lc-widget-button";
  button.textContent = title;
  button.setAttribute("aria-label", "Open " + title);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "lc-widget-panel");
  button.style.cssText =
    "position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;padding:12px 18px;" +
    "border:none;border-radius:24px;font:600 15px system-ui,sans-serif;color:#fff;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer;background:" + accent;

  var panel = document.createElement("div");
  panel.id = "lc-widget-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  panel.hidden = true;
  panel.style.cssText =
    "position:fixed;bottom:76px;" + side + ":20px;z-index:2147483000;width:min(420px,94vw);" +
    "height:min(640px,80vh);border-radius:12px;overflow:hidden;background:#fff;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.3);flex-direction:column";

  var header = document.createElement("div");
  header.style.cssText =
    "display:flex;justify-content:space-between;align-items:center;padding:8px 12px;" +
    "color:#fff;font:600 14px system-ui,sans-serif;background:" + accent;
  var label = document.createElement("span");
  label.textContent = title;
  var close = document.createElement("button");
  close.type = "button";
  close.textContent = "\u00d7";
  close.setAttribute("aria-label", "Close " + title);
  close.style.cssText =
    "background:none;border:none;color:#fff;font-size:22px;line-height:1;cursor:pointer";
  header.appendChild(label);
  header.appendChild(close);
  panel.appendChild(header);

  var frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "lc-widget-frame";
      frame.title = title;
      frame.src = base + "widget/" + (prompt ? "?prompt=" + encodeURIComponent(prompt) : "");
      frame.style.cssText = "border:none;width:100%;flex:1";
      frame.setAttribute("referrerpolicy", "strict-origin");
      panel.appendChild(frame);
    }
    panel.hidden = false;
    panel.style.display = "flex";
    button.setAttribute("aria-expanded", "true");
    frame.focus();
  }
  function shut() {
    panel.hidden = true;
    panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }
  button.addEventListener("click", function () {
    if (panel.hidden) open(); else shut();
  });
  close.addEventListener("click", shut);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) shut();
  });
  document.body.appendChild(panel);
  document.body.appendChild(button);
})();
