/* The Analytics page's charts: ABC-XYZ matrix, Pareto curve, RFM grid. Data and labels come
   from the page's json_script "analytics-data". */
document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("analytics-data").textContent);
  var L = data.labels;
  var percent = new Intl.NumberFormat(document.documentElement.lang, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  function pct(x) { return percent.format(100 * x) + " %"; }
  function done(el, chart) { el.setAttribute("data-rendered", "1"); window.addEventListener("resize", function () { chart.resize(); }); }

  var el = document.getElementById("abc-xyz-chart");
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {formatter: function (p) { var c = p.data.cell; return c.abc + c.xyz + ": " + c.clients_text + ", " + pct(c.value_share) + " " + L.value_share; }},
    grid: {top: 10, bottom: 40, left: 40, right: 10},
    xAxis: {type: "category", data: data.xyz, splitArea: {show: true}},
    yAxis: {type: "category", data: data.abc.slice().reverse(), splitArea: {show: true}},
    // colour by share of value (heat: 0–1 of the largest cell's share), not by client count
    visualMap: {min: 0, max: 1, show: false, inRange: {color: ["#f8f9fa", "#9ec5fe", "#0d6efd"]}},
    series: [{type: "heatmap", label: {show: true, lineHeight: 16, formatter: function (p) { return p.data.cell.clients + "\n" + pct(p.data.cell.value_share); }},
      data: data.cells.map(function (c) { return {value: [data.xyz_keys.indexOf(c.xyz), 2 - data.abc.indexOf(c.abc), c.heat], cell: c}; })}]
  });
  chart.on("click", function (p) { window.location.href = p.data.cell.url; });
  done(el, chart);

  el = document.getElementById("pareto-chart");
  var pareto = echarts.init(el);
  pareto.setOption({
    tooltip: {trigger: "axis", valueFormatter: function (v) { return pct(v); }},
    grid: {top: 10, bottom: 50, left: 60, right: 20},
    xAxis: {type: "value", min: 0, max: 1, name: L.client_share, nameLocation: "middle", nameGap: 28, axisLabel: {formatter: function (v) { return Math.round(v * 100) + " %"; }}},
    yAxis: {type: "value", min: 0, max: 1, name: L.cum_value, nameLocation: "middle", nameGap: 45, axisLabel: {formatter: function (v) { return Math.round(v * 100) + " %"; }}},
    series: [{type: "line", showSymbol: false, areaStyle: {opacity: 0.15}, data: data.pareto,
              markLine: {symbol: "none", silent: true, label: {show: false}, lineStyle: {type: "dashed", color: "#adb5bd"}, data: [{xAxis: 0.2}, {yAxis: 0.8}]}}]
  });
  done(el, pareto);

  el = document.getElementById("rfm-chart");
  var rfmMax = Math.max.apply(null, data.rfm.map(function (c) { return c.clients; }).concat([1]));
  var rfm = echarts.init(el);
  rfm.setOption({
    tooltip: {formatter: function (p) { var c = p.data.cell; return "R" + c.r + " F" + c.f + ": " + c.segment + " — " + c.clients_text + "<br>" + c.segment_clients_text + " " + L.segment_clients; }},
    grid: {top: 10, bottom: 50, left: 60, right: 10},
    xAxis: {type: "category", data: ["1", "2", "3", "4", "5"], name: L.frequency, nameLocation: "middle", nameGap: 28},
    yAxis: {type: "category", data: ["1", "2", "3", "4", "5"], name: L.recency, nameLocation: "middle", nameGap: 30},
    visualMap: {min: 0, max: rfmMax, show: false, inRange: {color: ["#f8f9fa", "#a3cfbb", "#198754"]}},
    series: [{type: "heatmap", label: {show: true, fontSize: 11, lineHeight: 14, width: 92, overflow: "break", formatter: function (p) { return p.data.cell.clients + "\n" + p.data.cell.segment; }},
      data: data.rfm.map(function (c) { return {value: [c.f - 1, c.r - 1, c.clients], cell: c}; })}]
  });
  rfm.on("click", function (p) { window.location.href = p.data.cell.url; });
  done(el, rfm);
});
