// Organisers' dashboard: draws each <canvas data-chart='{…}'> with the vendored Chart.js.
// The figures are also in a table next to each chart, so the page works without JavaScript.
(function () {
  "use strict";
  var COLOURS = ["#0b5394", "#e69138", "#6aa84f", "#a64d79", "#45818e", "#cc0000", "#7f6000"];

  // Long category names (fields, communes) are cut with "…" on a bar axis: the table has them whole.
  function shortLabel(horizontal) {
    return function (value) {
      var text = horizontal ? this.getLabelForValue(value) : value;
      var max = this.chart.width < 480 ? 18 : 30;
      return horizontal && text.length > max ? text.slice(0, max - 1) + "…" : text;
    };
  }

  function draw(canvas) {
    var spec;
    try { spec = JSON.parse(canvas.getAttribute("data-chart")); } catch (e) { return; }
    var horizontal = !!spec.horizontal;
    var datasets = spec.series.map(function (s, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {
        type: s.kind || undefined,
        label: s.label,
        data: s.data,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: spec.type === "line" ? 2 : 0,
        pointRadius: 0,
        tension: 0.2
      };
    });
    if (horizontal) {  // one bar per label: give long lists the height they need on a phone
      canvas.parentNode.style.height = Math.max(160, spec.labels.length * 28 + 60) + "px";
    }
    var markerPlugin = {
      id: "deadline",
      afterDraw: function (chart) {
        if (!spec.marker) { return; }
        var index = spec.labels.indexOf(spec.marker);
        if (index < 0) { return; }
        var x = chart.scales.x.getPixelForValue(index), area = chart.chartArea, ctx = chart.ctx;
        ctx.save();
        ctx.strokeStyle = "#b3261e";
        ctx.setLineDash([6, 4]);
        ctx.beginPath(); ctx.moveTo(x, area.top); ctx.lineTo(x, area.bottom); ctx.stroke();
        ctx.fillStyle = "#b3261e";
        ctx.font = "12px sans-serif";
        ctx.textAlign = x > area.right - 60 ? "right" : "left";
        ctx.fillText(spec.marker_label || "", x + (ctx.textAlign === "right" ? -4 : 4), area.top + 12);
        ctx.restore();
      }
    };
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      plugins: [markerPlugin],
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.series.length > 1, position: "bottom" } },
        scales: {
          x: { stacked: !!spec.stacked, ticks: { autoSkip: true, maxRotation: 0 } },
          y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0, callback: shortLabel(horizontal) } }
        }
      }
    });
    canvas.setAttribute("data-drawn", "1");
  }

  function start() {
    if (!window.Chart) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
