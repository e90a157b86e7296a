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
