/* parindex — what the chart scripts (charts.js, results.js) share: loaded before them, after Chart.js.
 *   window.parindexCharts.vn(number)   79.4 → "79,40" (two decimals, a decimal comma; "—" for null)
 *   window.parindexCharts.read(canvas) the JSON of the json_script element named by the canvas's data-source, or null
 *   window.parindexCharts.start(init)  run init once the page is parsed
 */
(function () {
  "use strict";

  function vn(number) {
    return number === null || number === undefined ? "—" : Number(number).toFixed(2).replace(".", ",");
  }

  function read(canvas) {
    var node = document.getElementById(canvas.dataset.source);
    return node ? JSON.parse(node.textContent) : null;
  }

  function start(init) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
    else init();
  }

  window.parindexCharts = { vn: vn, read: read, start: start };
})();
