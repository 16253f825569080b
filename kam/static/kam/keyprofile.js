/* The profile editor: each criterion's share of the score (weight / sum of weights, in per cent)
   follows the weights as they are typed; the server renders the same figures on load. */
document.addEventListener("DOMContentLoaded", function () {
  var inputs = Array.prototype.slice.call(document.querySelectorAll("input[data-weight]"));
  var total = document.getElementById("share-total");
  if (!inputs.length || !total) return;
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined,
    {minimumFractionDigits: 1, maximumFractionDigits: 1});
  function weight(input) { var w = parseFloat(String(input.value).replace(",", ".")); return w > 0 ? w : 0; }
  function update() {
    var sum = inputs.reduce(function (s, input) { return s + weight(input); }, 0);
    inputs.forEach(function (input) {
      var cell = input.closest("tr").querySelector("[data-share]");
      var w = weight(input);
      cell.textContent = sum > 0 && w > 0 ? format.format(100 * w / sum) + " %" : "—";
    });
    total.textContent = sum > 0 ? "100 %" : "—";
  }
  inputs.forEach(function (input) { input.addEventListener("input", update); });
});
