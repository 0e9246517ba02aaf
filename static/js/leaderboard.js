// The leaderboard's charts: one bar per model in each level and dimension, with its 95%
// interval as an error bar (chartjs-chart-error-bars). The data comes from the page's
// json_script element (names are data, never markup).
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("leaderboard-chart").textContent);
  const palette = ["#2f7bb4", "#b4432f", "#6a4bb4", "#1a7f37", "#bf8700", "#6e7781", "#0f766e", "#a21caf"];
  Chart.register(ChartErrorBars.BarWithErrorBarsController, ChartErrorBars.BarWithErrorBar);
  function bars(id, groups, title) {
    new Chart(document.getElementById(id), {
      type: "barWithErrorBars",
      data: {
        labels: Object.keys(groups),
        datasets: data.models.map((model, i) => ({
          label: model, backgroundColor: palette[i % palette.length],
          data: Object.values(groups).map(values => values[i]),
        })),
      },
      options: { animation: false, plugins: { title: { display: true, text: title } },
                 scales: { y: { min: 0, max: 100 } } },
    });
  }
  bars("chart-levels", data.levels, gettext("Score per level"));
  bars("chart-dimensions", data.dimensions, gettext("Score per dimension"));
  // Drafts, experts and the human-corrected score side by side, per model.
  const corrected = data.corrected;
  if (corrected && document.getElementById("chart-corrected")) {
    const series = [["drafts", gettext("From drafts"), "#6e7781"], ["experts", gettext("From experts"), "#bf8700"],
                    ["corrected", gettext("Human-corrected"), "#1a7f37"]];
    new Chart(document.getElementById("chart-corrected"), {
      type: "barWithErrorBars",
      data: {
        labels: corrected.models,
        datasets: series.map(([key, label, colour]) => ({ label, backgroundColor: colour, data: corrected[key] })),
      },
      options: { animation: false, plugins: { title: { display: true, text: interpolate(gettext("Overall score, %s intervals"), ["95%"]) } },
                 scales: { y: { min: 0, max: 100 } } },
    });
  }
})();
