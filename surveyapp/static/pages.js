// Behaviour the pages once had in inline handlers, which the Content-Security-Policy
// forbids: a <select data-autosubmit> sends its form when changed (a Show button stays
// for browsers without JavaScript); a <button data-print> opens the print dialog.
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
}());
