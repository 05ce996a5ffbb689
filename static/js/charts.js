/* parindex — charts drawn with Chart.js (static/vendor/chart.js, from the npm registry) from JSON that the
 * page embeds with Django's json_script. Every chart repeats a table of the page: without JavaScript (or
 * without Chart.js) the charts stay hidden and the tables carry the data.
 *
 * <canvas data-chart="province-trend|province-components" data-source="<id of the json_script element>">
 * Data (reports.province_selectors.province_overview().chart):
 *   {"years": [2016, ...], "overall": [% or null], "rank": [n or null], "provinces": [n or null],
 *    "components": [{"label": "CSTP 1", "name": "1. <full name>", "data": [% or null]}]}
 */
(function () {
  "use strict";

  var COLORS = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#d63384", "#6c757d", "#0dcaf0"];

  var vn = window.parindexCharts.vn, read = window.parindexCharts.read;  // chart-common.js

  function trend(canvas, data) {
    var rankMax = Math.max.apply(null, data.provinces.filter(Boolean).concat(data.rank.filter(Boolean)).concat([1]));
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.years,
        datasets: [
          { label: canvas.dataset.labelOverall, data: data.overall, yAxisID: "percent", spanGaps: true,
            borderColor: COLORS[0], backgroundColor: COLORS[0] },
          { label: canvas.dataset.labelRank, data: data.rank, yAxisID: "rank", spanGaps: true,
            borderColor: COLORS[1], backgroundColor: COLORS[1], borderDash: [6, 4] }
        ]
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          percent: { type: "linear", position: "left", min: 0, max: 100,
                     title: { display: true, text: canvas.dataset.labelOverall } },
          rank: { type: "linear", position: "right", reverse: true, min: 1, suggestedMax: rankMax,
                  ticks: { precision: 0 }, grid: { drawOnChartArea: false },
                  title: { display: true, text: canvas.dataset.labelRank } }
        },
        plugins: {
          tooltip: { callbacks: { label: function (ctx) {
            if (ctx.dataset.yAxisID === "rank") {
              var of = data.provinces[ctx.dataIndex];
              return ctx.dataset.label + ": " + ctx.parsed.y + (of ? "/" + of : "");
            }
            return ctx.dataset.label + ": " + vn(ctx.parsed.y);
          } } }
        }
      }
    });
  }

  function components(canvas, data) {
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.years,
        datasets: data.components.map(function (c, i) {
          return { label: c.label, name: c.name || c.label, data: c.data, backgroundColor: COLORS[i % COLORS.length] };
        })
      },
      options: {
        scales: { y: { min: 0, max: 100 } },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.name + ": " + vn(ctx.parsed.y); } } }
        }
      }
    });
  }

  var DRAW = { "province-trend": trend, "province-components": components };

  function init() {
    if (!window.Chart) return;  // the tables stay the only view
    var box = document.getElementById("province-charts");
    if (box) box.classList.remove("d-none");  // before drawing: Chart.js sizes a canvas from its box
    var shown = false;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var draw = DRAW[canvas.dataset.chart];
      var data = read(canvas);
      if (!draw || !data || !data.years.length) return;
      draw(canvas, data);
      shown = true;
    });
    if (box && !shown) box.classList.add("d-none");
  }

  window.parindexCharts.start(init);
})();
