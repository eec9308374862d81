// Behaviour the pages once had in inline handlers, which the Content-Security-Policy
// forbids: a <select data-autosubmit> sends its form when changed (a Show button stays
// for browsers without JavaScript); a <button data-print> opens the print dialog; a
// <details data-open-wide> opens on a wide screen.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.submit(); }
    });
  });
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // a <details data-open-wide> (the accounts list's filters) is served closed unless a
  // filter is active, so on a phone the list is in view; on a wide screen it opens
  if (window.matchMedia && window.matchMedia("(min-width: 40.01rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
      details.open = true;
    });
  }
}());
