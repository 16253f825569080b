/* The client's competitive position as a radar: one axis per criterion (scores 1–5), one shape
   per supplier. Data come from the page's json_script "radar-data"; an unscored criterion is a gap
   in its shape, not a zero. */
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("competition-radar");
  var source = document.getElementById("radar-data");
  if (!el || !source) return;
  var data = JSON.parse(source.textContent);
  if (!data.axes.length) return;
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "item"},
    legend: {type: "scroll", bottom: 0, data: data.series.map(function (s) { return s.name; })},
    radar: {
      radius: "62%",
      center: ["50%", "48%"],
      indicator: data.axes.map(function (name) { return {name: name, max: 5, min: 0}; }),
      axisName: {color: "#495057", fontSize: 11},
      splitNumber: 5
    },
    series: [{
      type: "radar",
      data: data.series.map(function (s, i) {
        return {
          name: s.name,
          value: s.value.map(function (v) { return v == null ? "-" : v; }),
          lineStyle: {width: i === 0 ? 3 : 1.5},
          areaStyle: i === 0 ? {opacity: 0.15} : undefined
        };
      })
    }]
  });
  el.dataset.rendered = "1";
  window.addEventListener("resize", function () { chart.resize(); });
});
