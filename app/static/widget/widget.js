/* Inside the widget iframe: keep the conversation token across visits, resume a conversation on
 * load, start over once confirmed, ask the embedding page to close the chat, keep the newest
 * message in view, and say so when a request fails (once, and a failing poll stops polling).
 * Spent options and suggestions are disabled by the server's own markup (hx-disabled-elt and
 * out-of-band swaps); nothing here is needed for that.
 *
 * The token is handed to the embedding page (embed.js keeps it in that site's storage and passes
 * it back in this page's URL fragment), and kept here too when this frame may use storage. */
(function () {
  "use strict";
  var KEY = "investochat.widget.token";
  var framed = window.parent !== window;
  if (framed) { document.documentElement.classList.add("framed"); }  // shows the close button

  function store(token) {
    if (framed) {  // only origins the frame-ancestors policy allows can frame us
      window.parent.postMessage({ type: "investochat:token", token: token }, "*");
    }
    try { if (token) { localStorage.setItem(KEY, token); } else { localStorage.removeItem(KEY); } } catch (e) { /* storage blocked */ }
  }
  function stored() {
    var handed = /^#t=(.+)$/.exec(window.location.hash);
    if (handed) { return decodeURIComponent(handed[1]); }
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function scrollDown() {
    var thread = document.getElementById("thread");
    if (thread) { thread.scrollTop = thread.scrollHeight; }
  }
  function restart() {  // the start form, without a token handed in the fragment
    window.location.replace(window.location.pathname + window.location.search);
  }
  function notice(text) {
    var thread = document.getElementById("thread");
    var start = document.querySelector("#start form");
    var note = document.createElement(thread ? "li" : "p");
    note.className = thread ? "bubble notice" : "error";
    note.setAttribute("role", "alert");
    note.textContent = text;
    if (thread) { thread.appendChild(note); scrollDown(); } else if (start) { start.prepend(note); }
  }

  window.addEventListener("resize", scrollDown);  // the iframe was opened (it was hidden)
  document.addEventListener("htmx:afterSwap", function () {
    var chat = document.getElementById("chat");
    if (chat && chat.dataset.token) { store(chat.dataset.token); }
    scrollDown();
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) { store(null); restart(); return; }
    var poller = event.detail.elt.closest && event.detail.elt.closest(".waiting");
    if (poller) {  // stop asking; a reload asks again
      poller.remove();
      notice("I could not fetch the answer just now. Reload the chat in a moment to see it.");
      return;
    }
    notice(status === 429
      ? "You are sending messages quickly. Please wait a minute and try again."
      : "Something went wrong on our side. Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    notice("You seem to be offline. Check your connection and try again.");
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-widget-reset]")) { store(null); restart(); return; }
    var keep = event.target.closest("[data-widget-keep]");
    if (keep) { keep.closest("details").open = false; return; }
    if (event.target.closest("[data-widget-close]") && framed) {
      window.parent.postMessage({ type: "investochat:close" }, "*");  // embed.js closes the frame
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var token = stored();
    var root = document.getElementById("widget");
    if (token && document.getElementById("start") && window.htmx) {
      window.htmx.ajax("GET", root.dataset.resume, { target: "#widget", swap: "innerHTML", headers: { "X-Widget-Token": token } });
    }
  });
})();
