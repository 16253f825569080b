/* Stakeholder map: an ECharts tree; colour = attitude to us, symbol size = influence. */
(function () {
  var COLOURS = {"-2": "#d62728", "-1": "#ff7f0e", "0": "#9e9e9e", "1": "#7cb342", "2": "#2e7d32"};

  function escapeHtml(text) {
    return String(text || "").replace(/[&<>"']/g, function (ch) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[ch];
    });
  }

  function decorate(node) {
    if (node.root) {
      node.symbol = "roundRect";
      node.symbolSize = [18, 18];
      node.itemStyle = {color: "#0d6efd"};
      node.label = {fontWeight: "bold"};
    } else {
      // The tree's default symbol is the hollow "emptyCircle"; a filled circle shows the colour.
      node.symbol = "circle";
      node.symbolSize = 10 + node.influence * 6;
      node.itemStyle = {color: COLOURS[String(node.attitude)], borderColor: "#fff", borderWidth: 1,
                        opacity: node.left ? 0.4 : 1};
    }
    (node.children || []).forEach(decorate);
    return node;
  }

  function countLeaves(node) {
    if (!node.children || !node.children.length) return 1;
    return node.children.reduce(function (sum, c) { return sum + countLeaves(c); }, 0);
  }

  window.kamOrgChart = function (element, data, labels) {
    element.style.height = Math.max(420, countLeaves(data) * 70) + "px";
    var chart = echarts.init(element);
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var d = p.data;
          if (d.root) return escapeHtml(d.name);
          var lines = ["<b>" + escapeHtml(d.name) + "</b>", escapeHtml(d.position), escapeHtml(d.role),
            labels.influence + ": " + d.influence + "/5", labels.attitude + ": " + escapeHtml(d.attitude_label)];
          if (d.motivation) lines.push(labels.motivation + ": " + escapeHtml(d.motivation));
          if (d.bonus) lines.push(labels.bonus + ": " + escapeHtml(d.bonus));
          if (d.left) lines.push("<i>" + labels.left + "</i>");
          return "<div style='max-width:360px;white-space:normal'>" + lines.filter(Boolean).join("<br>") + "</div>";
        }
      },
      series: [{
        type: "tree", data: [decorate(data)], orient: "TB", top: 40, bottom: 80, left: 40, right: 40,
        initialTreeDepth: -1, expandAndCollapse: false, roam: true,
        label: {position: "bottom", distance: 6, fontSize: 12, lineHeight: 15,
                formatter: function (p) { return p.data.root ? p.data.name : p.data.name + "\n{pos|" + (p.data.position || "") + "}"; },
                rich: {pos: {color: "#6c757d", fontSize: 11, lineHeight: 14}}},
        leaves: {label: {position: "bottom"}},
        lineStyle: {color: "#adb5bd", width: 1.5, curveness: 0.3}
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    element.dataset.rendered = "1";
    return chart;
  };

  // The contacts tab: data from json_script "org-data", labels from the element's attributes.
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("org-chart");
    if (!el) return;
    var labels = {};
    ["influence", "attitude", "motivation", "bonus", "left"].forEach(function (name) {
      labels[name] = escapeHtml(el.getAttribute("data-label-" + name));
    });
    window.kamOrgChart(el, JSON.parse(document.getElementById("org-data").textContent), labels);
  });
})();
