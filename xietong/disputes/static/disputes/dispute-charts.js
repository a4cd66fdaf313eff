/* The dispute dashboard's monthly chart: reads the series from the page's json_script element
   (#dispute-series) and draws it with the vendored ECharts. Without ECharts the table under the
   chart stays the only view (it carries the same figures). */
(function () {
  "use strict";

  function init() {
    var source = document.getElementById("dispute-series");
    var element = document.getElementById("dispute-chart");
    if (!source || !element || !window.echarts) {
      return;
    }
    var rows = JSON.parse(source.textContent);
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    function column(key) { return rows.map(function (row) { return row[key]; }); }
    chart.setOption({
      // richText: the default HTML tooltip writes style="" attributes, which the CSP refuses.
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 8, right: 12, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: column("month"), axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: element.dataset.raised || "raised", type: "bar", data: column("raised"), itemStyle: { color: "#206bc4" } },
        { name: element.dataset.resolved || "resolved", type: "bar", data: column("resolved"), itemStyle: { color: "#2fb344" } },
        { name: element.dataset.escalations || "escalations", type: "line", data: column("escalations"), itemStyle: { color: "#f76707" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
