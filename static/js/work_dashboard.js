// A batch's charts: items done over time, and for clips the outcomes and reject
// reasons, from the page's json_script element.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  function bars(id, counts, title, color, horizontal) {
    if (!document.getElementById(id)) return;
    new Chart(document.getElementById(id), {
      type: "bar",
      data: { labels: Object.keys(counts), datasets: [{ label: title, data: Object.values(counts), backgroundColor: color }] },
      options: { animation: false, indexAxis: horizontal ? "y" : "x",
                 plugins: { legend: { display: false }, title: { display: true, text: title } } },
    });
  }
  new Chart(document.getElementById("chart-over-time"), {
    type: "line",
    data: { labels: data.over_time.moments, datasets: [{ label: "done", data: data.over_time.done, borderColor: "#1a7f37", stepped: true }] },
    options: { animation: false, plugins: { legend: { display: false }, title: { display: true, text: gettext("Items done over time") } },
               scales: { y: { beginAtZero: true } } },
  });
  if (data.outcome) bars("chart-outcome", data.outcome, gettext("Clips per outcome"), "#2f7bb4", false);
  if (data.reasons) bars("chart-reasons", data.reasons, gettext("Reject reasons given"), "#b4432f", true);
})();
