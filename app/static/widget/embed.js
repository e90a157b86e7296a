/* InvestoChat chat widget for a developer's website:
 *   <script src="https://YOUR-INVESTOCHAT/static/widget/embed.js" data-project="Project name" defer></script>
 * Adds a chat button at the bottom right that opens the widget in an iframe served by InvestoChat.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var origin = new URL(script.src, document.baseURI).origin;
  var project = script.getAttribute("data-project") || "";
  var label = script.getAttribute("data-label") || "Ask about this project";

  var frame = document.createElement("iframe");
  frame.src = origin + "/widget/?project=" + encodeURIComponent(project);
  frame.title = "InvestoChat: questions about " + (project || "our projects");
  frame.setAttribute("data-investochat", "frame");
  frame.style.cssText = "position:fixed;right:16px;bottom:84px;width:min(380px,calc(100vw - 32px));" +
    "height:min(560px,calc(100vh - 110px));border:0;border-radius:12px;" +
    "box-shadow:0 8px 28px rgba(0,0,0,.25);z-index:2147483646;background:#fff;display:none";

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("data-investochat", "open");
  button.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483647;padding:14px 18px;" +
    "border:0;border-radius:999px;background:#8a5a00;color:#fff;font:600 15px system-ui,sans-serif;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer";
  button.addEventListener("click", function () {
    var open = frame.style.display === "none";
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Close chat" : label;
  });

  function mount() { document.body.appendChild(frame); document.body.appendChild(button); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
