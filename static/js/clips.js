// The single-clip workspace, on top of keys.js and player.js: one key per decision,
// level and reason; the player's keys; the time spent on each clip; the next clip, preloaded by
// the page, moves into the player when the decision's answer is swapped in (hx-preserve).
(function () {
  let shownAt = performance.now();

  function workspace() { return document.getElementById("clip-workspace"); }
  function player() { return document.querySelector(".clip-stage video"); }
  function form() { return document.getElementById("clip-answer"); }

  const controls = Player.controls(function () { const video = player(); return video ? [video] : []; });

  function start() {
    shownAt = performance.now();
    const video = player();
    if (!video) return;
    controls.applySettings();
    video.play().catch(function () {});
  }
  function decide(decision) {
    const answer = form();
    if (!answer) return;
    answer.elements.decision.value = decision;
    htmx.trigger(answer, "submit");
  }

  // The player's buttons are Player's; these are the decisions'.
  document.addEventListener("click", function (e) {
    const button = e.target.closest(".decide");
    if (button) decide(button.dataset.decision);
    else if (e.target.id === "use-suggestion") {
      document.getElementById("caption").value = document.querySelector(".suggestion-caption").textContent;
    }
  });
  function click(id) { return function () { const el = document.getElementById(id); if (el) el.click(); }; }
  function inWorkspace() { return Boolean(workspace()); }
  // The level and reason inputs carry their keys, the same for every clip.
  Keys.workspace([].concat(Keys.inputs(".level-choice", "level", inWorkspace), Keys.inputs(".reasons", "reason", inWorkspace), [
    { keys: ["a"], label: "a", does: gettext("accept"), brief: gettext("accept"), when: inWorkspace, run: function () { decide("accept"); } },
    { keys: ["r"], label: "r", does: gettext("reject (tick its reasons first)"), brief: gettext("reject"), when: inWorkspace, run: function () { decide("reject"); } },
    { keys: ["f"], label: "f", does: gettext("flag for a reviewer"), brief: gettext("flag"), when: inWorkspace, run: function () { decide("flag"); } },
    { keys: ["e"], label: "e", does: gettext("edit the caption (Esc leaves it)"), when: inWorkspace, run: function () { document.getElementById("caption").focus(); } },
    { keys: ["p", " "], label: gettext("p / space"), does: gettext("play / pause"), when: inWorkspace, run: controls.toggle },
    { keys: [","], label: ",", does: gettext("one frame back"), when: inWorkspace, run: function () { controls.step(-1); } },
    { keys: ["."], label: ".", does: gettext("one frame forward"), when: inWorkspace, run: function () { controls.step(1); } },
    { keys: ["u"], label: "u", does: gettext("undo your last answer"), brief: gettext("undo"), when: inWorkspace, run: click("undo") },
    { keys: ["g"], label: "g", does: gettext("grid of the batch's clips"), when: inWorkspace, run: click("grid-link") },
  ]));

  // The time spent on the clip goes with the decision.
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt.id === "clip-answer") {
      e.detail.parameters.seconds = ((performance.now() - shownAt) / 1000).toFixed(1);
    }
  });
  document.body.addEventListener("htmx:beforeRequest", Player.saveStatus.saving);
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target.id !== "clip-workspace" && !document.getElementById("clip-workspace")) return;
    const ok = e.detail.xhr.status < 300;
    if (ok) Player.saveStatus.saved(e.detail.xhr); else Player.saveStatus.failed();
    if (ok) start();
  });
  document.body.addEventListener("htmx:sendError", function () { Player.saveStatus.failed(gettext("network error")); });
  start();
})();
