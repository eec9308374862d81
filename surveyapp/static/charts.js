// Draws the pages' charts with the vendored Chart.js. Each <canvas data-chart="ID"> reads
// its data from <script type="application/json" id="ID"> (the Content-Security-Policy
// allows no inline script). The figures come from the server as they are shown in the
// table beside each chart; this script only draws them.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var INK = "#1d2733", MUTED = "#66707a", LINE = "#d7dde3";
  var PALETTE = ["#1f4e79", "#c0504d", "#9bbb59", "#8064a2", "#f79646", "#4bacc6"];
  var STAGES = ["#cfd8e3", "#9fb7d1", "#6f95bf", "#3f73a8", "#1f4e79", "#b3261e"];
  var ABC = { A: "#1f4e79", B: "#4f7fb0", C: "#9fb7d1", D: "#b3261e" };

  Chart.defaults.color = INK;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false; // drawn at once: screenshots and slow phones alike

  // dashed lines at the quadrant splits of a scatter chart ([x, y] in data units)
  var splitLines = {
    id: "splitLines",
    afterDatasetsDraw: function (chart, _args, options) {
      var split = options && options.split;
      if (!split) { return; }
      var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x, y = chart.scales.y;
      ctx.save();
      ctx.strokeStyle = MUTED;
      ctx.setLineDash([4, 4]);
      if (split[0] !== null && split[0] !== undefined) {
        var px = x.getPixelForValue(split[0]);
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
      }
      if (split[1] !== null && split[1] !== undefined) {
        var py = y.getPixelForValue(split[1]);
        ctx.beginPath(); ctx.moveTo(area.left, py); ctx.lineTo(area.right, py); ctx.stroke();
      }
      ctx.restore();
    }
  };

  function axis(title, extra) {
    var scale = { title: { display: Boolean(title), text: title || "" },
                  grid: { color: LINE } };
    return Object.assign(scale, extra || {});
  }

  // a chart of counts (accounts per stage) ticks at whole numbers only: 4, 5, never 4.5
  function countTicks(spec, range) {
    if (!spec.counts) { return range; }
    return Object.assign({ beginAtZero: true, ticks: { precision: 0, stepSize: 1 } }, range);
  }

  function barColors(spec, values) {
    if (spec.colors === "stages") {
      return values.map(function (_v, k) { return STAGES[k % STAGES.length]; });
    }
    if (spec.colors === "sign") {
      return values.map(function (v) { return v <= -1 ? "#b3261e" : v < 0 ? "#d98c1f" : "#1b6e3a"; });
    }
    return null;
  }

  function config(spec) {
    var range = {};
    if (spec.min !== undefined) { range.min = spec.min; }
    if (spec.max !== undefined) { range.max = spec.max; }
    var legend = { display: Boolean(spec.legend) || spec.series.length > 1 };
    if (spec.kind === "bar") {
      return { type: "bar", data: { labels: spec.labels, datasets: spec.series.map(function (s, k) {
        return { label: s.label, data: s.data,
                 backgroundColor: barColors(spec, s.data) || PALETTE[k % PALETTE.length] };
      }) }, options: { maintainAspectRatio: false, plugins: { legend: legend },
                       scales: { y: axis(spec.y, countTicks(spec, range)) } } };
    }
    if (spec.kind === "scatter") {
      return { type: "scatter", data: { datasets: spec.series.map(function (s, k) {
        return { label: s.label, data: s.data, pointRadius: spec.series.length > 4 ? 6 : 4,
                 backgroundColor: PALETTE[k % PALETTE.length] };
      }) }, options: { maintainAspectRatio: false,
                       plugins: { legend: legend, splitLines: { split: spec.split } },
                       scales: { x: axis(spec.x, range), y: axis(spec.y, range) } },
        plugins: [splitLines] };
    }
    if (spec.kind === "pareto") {
      var bars = spec.series[0], line = spec.series[1];
      return { data: { labels: spec.labels, datasets: [
        { type: "bar", label: bars.label, data: bars.data, yAxisID: "y",
          backgroundColor: spec.classes ? spec.classes.map(function (c) { return ABC[c] || PALETTE[0]; }) : PALETTE[0] },
        { type: "line", label: line.label, data: line.data, yAxisID: "y2",
          borderColor: PALETTE[1], backgroundColor: PALETTE[1], pointRadius: 0 }
      ] }, options: { maintainAspectRatio: false, plugins: { legend: legend },
        scales: { x: { ticks: { display: false } }, y: axis(spec.y),
                  y2: axis(spec.y2, { position: "right", min: 0, max: 1,
                                      grid: { drawOnChartArea: false },
                                      ticks: { callback: function (v) { return Math.round(v * 100) + " %"; } } }) } } };
    }
    if (spec.kind === "line") {
      return { type: "line", data: { labels: spec.labels, datasets: spec.series.map(function (s, k) {
        return { label: s.label, data: s.data, borderColor: PALETTE[k % PALETTE.length],
                 backgroundColor: PALETTE[k % PALETTE.length], spanGaps: false };
      }) }, options: { maintainAspectRatio: false, plugins: { legend: legend },
                       scales: { y: axis(spec.y, range) } } };
    }
    return null;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) { return; }
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { return; }
    var built = config(spec);
    if (built) {
      canvas.chart = new Chart(canvas, built);
      canvas.setAttribute("data-drawn", "true");
    }
  });
}());
