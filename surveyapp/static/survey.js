// Shows the running total of each constant-sum question as the respondent types.
document.querySelectorAll("fieldset.allocation").forEach(function (box) {
  var total = Number(box.dataset.total);
  var output = box.querySelector(".points-total output");
  function update() {
    var sum = 0;
    box.querySelectorAll("input.points").forEach(function (input) {
      var v = parseInt(input.value, 10);
      if (!isNaN(v)) { sum += v; }
    });
    output.textContent = String(sum);
    box.classList.toggle("sum-ok", sum === total);
    box.classList.toggle("sum-off", sum !== total);
  }
  box.addEventListener("input", update);
  update();
});
