// Survey helpers: running totals of constant-sum questions, a draft kept in this browser
// (so a contact can stop, switch language or reload without losing answers), and focus on
// the problems after a failed submit.
(function () {
  "use strict";
  var form = document.querySelector("form.survey");
  if (!form) { return; }
  var key = "survey-draft:" + window.location.pathname;

  function updateTotals() {
    document.querySelectorAll("fieldset.allocation").forEach(function (box) {
      var total = Number(box.dataset.total);
      var output = box.querySelector(".points-total output");
      var sum = 0, typed = false;
      box.querySelectorAll("input.points").forEach(function (input) {
        var v = parseInt(input.value, 10);
        if (!isNaN(v)) { sum += v; typed = true; }
      });
      output.textContent = typed ? String(sum) : "–";
      box.classList.toggle("sum-ok", typed && sum === total);
      box.classList.toggle("sum-off", typed && sum !== total);
    });
  }

  function saveDraft() {
    var answers = {};
    form.querySelectorAll("input, textarea").forEach(function (el) {
      if (!el.name || el.name === "csrf_token") { return; }
      if (el.type === "radio") {
        if (el.checked) { answers[el.name] = el.value; }
      } else if (el.value !== "") {
        answers[el.name] = el.value;
      }
    });
    try { window.localStorage.setItem(key, JSON.stringify(answers)); } catch (e) { /* private mode */ }
  }

  function restoreDraft() {
    var answers;
    try { answers = JSON.parse(window.localStorage.getItem(key) || "{}"); } catch (e) { return; }
    Object.keys(answers).forEach(function (name) {
      var fields = form.querySelectorAll('[name="' + name + '"]');
      fields.forEach(function (el) {
        if (el.type === "radio") {
          // the page's own answers (after a failed submit) win over the draft
          var groupAnswered = form.querySelector('[name="' + name + '"]:checked');
          if (!groupAnswered && el.value === answers[name]) { el.checked = true; }
        } else if (el.value === "") {
          el.value = answers[name];
        }
      });
    });
  }

  restoreDraft();
  updateTotals();
  form.addEventListener("input", function () { updateTotals(); saveDraft(); });
  form.addEventListener("change", saveDraft);
  // the language links keep the draft: it is saved before leaving the page
  window.addEventListener("pagehide", saveDraft);

  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();

// Called by the thank-you page: the answers are stored, the draft is no longer needed.
function clearSurveyDraft(path) {
  try { window.localStorage.removeItem("survey-draft:" + path); } catch (e) { /* ignore */ }
}
