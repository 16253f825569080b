/* The client's monthly purchases: bars of amount, a line of margin. Data come from the page's
   json_script "purchase-data"; series names from the chart element's data attributes. */
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("purchase-chart");
  if (!el) return;
  var data = JSON.parse(document.getElementById("purchase-data").textContent);
  var amount = el.getAttribute("data-label-amount"), margin = el.getAttribute("data-label-margin");
  var chart = echarts.init(el);
  var lang = document.documentElement.lang;
  var fmt = new Intl.NumberFormat(lang, {maximumFractionDigits: 0});
  // Months come as "2025-01"; the axis names them in the user's language ("янв. 2025 г.", "Jan 2025").
  var monthFmt = new Intl.DateTimeFormat(lang, {month: "short", year: "numeric", timeZone: "UTC"});
  function monthName(ym) { return monthFmt.format(new Date(ym + "-01T00:00:00Z")); }
  chart.setOption({
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : fmt.format(v); }},
    legend: {data: [amount, margin]},
    grid: {left: 70, right: 20, top: 40, bottom: 30},
    xAxis: {type: "category", data: data.months, axisLabel: {formatter: monthName}, axisPointer: {label: {formatter: function (p) { return monthName(p.value); }}}},
    yAxis: {type: "value", axisLabel: {formatter: function (v) { return fmt.format(v); }}},
    series: [
      {name: amount, type: "bar", data: data.amount, itemStyle: {color: "#0d6efd"}},
      {name: margin, type: "line", data: data.margin, smooth: true, itemStyle: {color: "#198754"}}
    ]
  });
  el.dataset.rendered = "1";
  window.addEventListener("resize", function () { chart.resize(); });
});
