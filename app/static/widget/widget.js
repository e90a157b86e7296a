/* Inside the widget iframe: keep the conversation token across visits (localStorage), resume a
 * conversation on load, and keep the newest message in view. */
(function () {
  "use strict";
  var KEY = "investochat.widget.token";

  function store(token) {
    try { if (token) { localStorage.setItem(KEY, token); } else { localStorage.removeItem(KEY); } } catch (e) { /* storage blocked */ }
  }
  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function scrollDown() {
    var thread = document.getElementById("thread");
    if (thread) { thread.scrollTop = thread.scrollHeight; }
  }

  window.addEventListener("resize", scrollDown);  // the iframe was opened (it was hidden)
  document.addEventListener("htmx:afterSwap", function () {
    var chat = document.getElementById("chat");
    if (chat && chat.dataset.token) { store(chat.dataset.token); }
    scrollDown();
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) { store(null); window.location.reload(); return; }
    var thread = document.getElementById("thread");
    if (!thread) { return; }
    var notice = document.createElement("li");
    notice.className = "bubble notice";
    notice.setAttribute("role", "alert");
    notice.textContent = status === 429
      ? "You are sending messages quickly. Please wait a minute and try again."
      : "Something went wrong on our side. Please try again.";
    thread.appendChild(notice);
    scrollDown();
  });
  document.addEventListener("DOMContentLoaded", function () {
    var token = stored();
    var root = document.getElementById("widget");
    if (token && document.getElementById("start") && window.htmx) {
      window.htmx.ajax("GET", root.dataset.resume, { target: "#widget", swap: "innerHTML", headers: { "X-Widget-Token": token } });
    }
  });
})();
