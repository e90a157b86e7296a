// Portal behaviour that the Content-Security-Policy keeps out of the HTML (no inline scripts,
// no eval): htmx 2 does not swap 4xx answers by default, but the broker pages' 409 (claim
// refused) and 422 (form errors) answers carry the message to show, so they are swapped.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if ((status === 409 || status === 422) && event.target.closest(".broker-portal")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// The stage form shows only the fields the chosen stage needs (a date for a site visit, a reason
// for a lost lead); without JavaScript every field shows, and the server checks them either way.
function showStageFields(form) {
  var select = form.querySelector("select[name=stage]");
  if (!select) { return; }
  form.querySelectorAll("[data-for-stage]").forEach(function (block) {
    block.hidden = block.getAttribute("data-for-stage") !== select.value;
  });
}
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select[name=stage]")) { showStageFields(event.target.form); }
});
function showAllStageForms() {
  document.querySelectorAll("select[name=stage]").forEach(function (select) { showStageFields(select.form); });
}
document.addEventListener("DOMContentLoaded", showAllStageForms);
document.addEventListener("htmx:afterSettle", showAllStageForms);

// The lead's conversation polls every 2 s; it counts as read (the inbox's unread count) only
// while the broker can see it: the tab in front and the conversation unfolded.
document.addEventListener("htmx:configRequest", function (event) {
  var source = event.detail.elt;
  if (!source.matches || !source.matches("[data-seen-when-visible]")) { return; }
  var folded = source.closest("details");
  if (document.visibilityState === "visible" && !(folded && !folded.open)) {
    event.detail.parameters.seen = "1";
  }
});
