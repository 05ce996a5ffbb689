/* parindex — charts of the units' results pages (reports/templates/reports/results/), drawn with Chart.js
 * (static/vendor/chart.js) from JSON embedded with json_script. Every chart repeats a table of the page: without
 * JavaScript or Chart.js the boxes ([data-charts-box]) stay hidden and the tables carry the data.
 *
 * <canvas data-chart="ranking-indices|unit-components|unit-trend" data-source="<id of the json_script element>">
 *   ranking-indices: {"labels": [short unit name], "names": [unit name], "values": [%]}   (reports.views.rankings)
 *   unit-components / unit-trend: {"labels": [field code], "names": ["code. title"], "unit": [% or null],
 *                                  "group": [% or null], "years": [year], "trend": [%]}  (reports.views.unit_result)
 */
(function () {
  "use strict";

  var BLUE = "#0d6efd", GREY = "#adb5bd";

  var vn = window.parindexCharts.vn, read = window.parindexCharts.read;  // chart-common.js

  function tooltip(axis, names) {  // "<dataset>: 79,40" on the value axis; the full name as the title when given
    var callbacks = { label: function (ctx) { return ctx.dataset.label + ": " + vn(ctx.parsed[axis]); } };
    if (names) callbacks.title = function (items) { return names[items[0].dataIndex]; };
    return { callbacks: callbacks };
  }

  function indices(canvas, data) {
    if (!data.values || !data.values.length) return false;
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: canvas.dataset.label, data: data.values, backgroundColor: BLUE }] },
      options: {
        indexAxis: "y", maintainAspectRatio: false,
        scales: { x: { min: 0, suggestedMax: 100 } },
        plugins: { legend: { display: false }, tooltip: tooltip("x", data.names) }
      }
    });
    return true;
  }

  function components(canvas, data) {
    if (!data.labels || !data.labels.length) return false;
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [
        { label: canvas.dataset.labelUnit, data: data.unit, backgroundColor: BLUE },
        { label: canvas.dataset.labelGroup, data: data.group, backgroundColor: GREY }
      ] },
      options: {
        scales: { y: { min: 0, suggestedMax: 100 } },
        plugins: { legend: { position: "bottom" }, tooltip: tooltip("y", data.names) }
      }
    });
    return true;
  }

  function trend(canvas, data) {
    if (!data.years || !data.years.length) return false;
    new window.Chart(canvas, {
      type: "line",
      data: { labels: data.years, datasets: [{ label: canvas.dataset.label, data: data.trend, borderColor: BLUE,
                                               backgroundColor: BLUE }] },
      options: {
        scales: { y: { min: 0, suggestedMax: 100 } },
        plugins: { legend: { display: false }, tooltip: tooltip("y") }
      }
    });
    return true;
  }

  var DRAW = { "ranking-indices": indices, "unit-components": components, "unit-trend": trend };

  function init() {
    if (!window.Chart) return;  // the tables stay the only view
    document.querySelectorAll("[data-charts-box]").forEach(function (box) {
      var canvas = box.querySelector("canvas[data-chart]");
      var draw = canvas && DRAW[canvas.dataset.chart];
      var data = canvas && read(canvas);
      if (!draw || !data) return;
      box.classList.remove("d-none");  // before drawing: Chart.js sizes a canvas from its box
      if (!draw(canvas, data)) box.classList.add("d-none");
    });
  }

  window.parindexCharts.start(init);
})();
