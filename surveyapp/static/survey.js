// Survey helpers: running totals of constant-sum questions; the answers of the page being
// filled kept in this browser until the server has them (so switching language or a
// reload loses nothing); which typed answers were emptied on purpose; one submit per
// click; focus on the problems after a failed page. Nothing here is needed to answer:
// without JavaScript every page still works.
(function () {
  "use strict";
  var key = "survey-draft:" + window.location.pathname.replace(/\/thanks$/, "");

  function forget() {
    try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ }
  }

  // the thank-you and already-received pages: the answers are stored, nothing stays here
  if (document.querySelector("[data-survey-done]")) { forget(); return; }

  var form = document.querySelector("form.survey");
  if (!form) { return; }

  // a page shown again from the browser's memory (Back) asks the server instead, which
  // knows whether the answers were already submitted
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });

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

  var cleared = form.querySelector('input[name="cleared"]');
  var shown = {};  // typed answers as the server sent them
  form.querySelectorAll("input.points, textarea").forEach(function (el) {
    shown[el.name] = el.value;
  });

  function readStore() {
    try { return JSON.parse(window.localStorage.getItem(key) || "{}"); } catch (e) { return {}; }
  }

  function saveLocal() {
    var answers = readStore();
    var emptied = [];
    form.querySelectorAll("input, textarea").forEach(function (el) {
      if (!el.name || el.type === "hidden") { return; }
      if (el.type === "radio") {
        if (el.checked) { answers[el.name] = el.value; }
      } else if (el.value !== "") {
        answers[el.name] = el.value;
      } else {
        delete answers[el.name];
        if (shown[el.name]) { emptied.push(el.name); }
      }
    });
    cleared.value = emptied.join(" ");
    try { window.localStorage.setItem(key, JSON.stringify(answers)); } catch (e) { /* full */ }
  }

  function restoreLocal() {
    var answers = readStore();
    Object.keys(answers).forEach(function (name) {
      var fields = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
      if (!fields.length) { return; }
      if (fields[0].type === "radio") {
        // the server's answer (saved, or just posted) wins over this browser's copy
        if (form.querySelector('[name="' + CSS.escape(name) + '"]:checked')) { return; }
        fields.forEach(function (el) { if (el.value === answers[name]) { el.checked = true; } });
      } else if (fields[0].value === "" && !shown[name]) {
        fields[0].value = answers[name];
      }
    });
  }

  restoreLocal();
  updateTotals();
  form.addEventListener("input", function () { updateTotals(); saveLocal(); });
  form.addEventListener("change", saveLocal);
  window.addEventListener("pagehide", saveLocal);  // the language links keep the page

  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }  // a double click sends once
    saveLocal();
    sending = true;
    window.setTimeout(function () { sending = false; }, 10000);  // a lost network retries
  });

  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
