/* InvestoChat chat widget for a developer's website:
 *   <script src="https://YOUR-INVESTOCHAT/static/widget/embed.js" data-project="Project name" defer></script>
 * Adds a chat button at the bottom right that opens the widget in an iframe served by InvestoChat
 * (made on the first click, so a page view that never opens the chat loads nothing more).
 *
 * The conversation token is kept here, in this site's own storage, and handed to the iframe in
 * its URL fragment (never sent to a server): browsers that block storage in third-party iframes
 * would otherwise forget the conversation on every visit.
 *
 * On a phone (a narrow screen) the open chat fills the screen, over the page and its own button,
 * and its close button (inside the chat) closes it. Styles are set through the DOM, not a <style>
 * element, so a site whose Content-Security-Policy forbids inline styles can embed it too.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var origin = new URL(script.src, document.baseURI).origin;
  var project = script.getAttribute("data-project") || "";
  var label = script.getAttribute("data-label") || "Ask about this project";

  var KEY = "investochat.widget.token";
  function remembered() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  var frame = null;
  var isOpen = false;
  // (the device's width too: a site without a viewport tag is laid out 980 px wide on a phone)
  var phone = window.matchMedia("(max-width: 640px), (max-device-width: 640px)");
  var FLOATING = "position:fixed;right:16px;bottom:84px;width:min(380px,calc(100vw - 32px));" +
    "height:min(560px,calc(100vh - 110px));border:0;border-radius:12px;" +
    "box-shadow:0 8px 28px rgba(0,0,0,.25);z-index:2147483646;background:#fff;";
  var FULL_SCREEN = "position:fixed;inset:0;width:100%;height:100%;border:0;border-radius:0;" +
    "z-index:2147483647;background:#fff;";

  function makeFrame() {
    var token = remembered();
    frame = document.createElement("iframe");
    frame.src = origin + "/widget/?project=" + encodeURIComponent(project) + (token ? "#t=" + encodeURIComponent(token) : "");
    frame.title = "InvestoChat: questions about " + (project || "our projects");
    frame.setAttribute("data-investochat", "frame");
    document.body.appendChild(frame);
  }

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("data-investochat", "open");
  button.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483647;padding:14px 18px;" +
    "border:0;border-radius:999px;background:#8a5a00;color:#fff;font:600 15px system-ui,sans-serif;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer";

  function show() {  // the chat as it is now: open or not, floating or (on a phone) full screen
    if (frame) { frame.style.cssText = (phone.matches ? FULL_SCREEN : FLOATING) + "display:" + (isOpen ? "block" : "none"); }
    button.style.display = isOpen && phone.matches ? "none" : "block";
    button.setAttribute("aria-expanded", String(isOpen));
    button.textContent = isOpen ? "Close chat" : label;
  }
  function setOpen(open) {
    if (open && !frame) { makeFrame(); }
    isOpen = open;
    show();
    if (!open) { button.focus(); }
  }
  button.addEventListener("click", function () { setOpen(!isOpen); });
  if (phone.addEventListener) { phone.addEventListener("change", show); }  // turned, or resized
  show();

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data) { return; }
    if (event.data.type === "investochat:close") { setOpen(false); return; }
    if (event.data.type !== "investochat:token") { return; }
    try {
      if (event.data.token) { localStorage.setItem(KEY, event.data.token); } else { localStorage.removeItem(KEY); }
    } catch (e) { /* storage blocked: the conversation lasts as long as the page */ }
  });

  function mount() { document.body.appendChild(button); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
