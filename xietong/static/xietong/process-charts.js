/* The on-time charts of a process page: reads the figures from the page's json_script element
   (#process-series) and draws them with the vendored ECharts. Without ECharts or data the tables
   under the charts stay the only view (they always carry the same figures). */
(function () {
  "use strict";

  function percent(value) {
    return value === null || value === undefined ? null : Math.round(value * 1000) / 10;
  }

  function draw(element, labels, rows, color) {
    if (!element || !rows.length) {
      return null;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      title: { text: element.dataset.title || "", left: "center", textStyle: { fontSize: 13 } },
      // richText: the default HTML tooltip writes style="" attributes, which the CSP refuses.
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) { return v + "%"; } },
      grid: { left: 40, right: 12, top: 36, bottom: 28, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, hideOverlap: true } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        {
          name: element.dataset.series || "",
          type: "bar",
          data: rows.map(function (row) { return percent(row.rate); }),
          itemStyle: { color: color },
          label: { show: true, position: "top", formatter: "{c}%" },
          barMaxWidth: 36
        }
      ]
    });
    return chart;
  }

  function init() {
    var source = document.getElementById("process-series");
    if (!source || !window.echarts) {
      return;
    }
    var series = JSON.parse(source.textContent);
    var charts = [
      draw(document.getElementById("chart-by-step"), series.by_step.map(function (r) { return r.code; }), series.by_step, "#206bc4"),
      draw(document.getElementById("chart-by-month"), series.by_month.map(function (r) { return r.month; }), series.by_month, "#2fb344")
    ].filter(Boolean);
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
