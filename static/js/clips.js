// The single-clip workspace, on top of player.js: one key per decision, level and
// reason; the player's keys; the time spent on each clip; the next clip, preloaded by
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
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.matches("textarea, input[type=text], select")) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (!workspace()) return;
    let handled = true;
    const level = document.querySelector('.level-choice input[data-key="' + e.key + '"]');
    const reason = e.key.length === 1 && document.querySelector('.reasons input[data-key="' + e.key + '"]');
    if (level) level.checked = true;
    else if (reason) reason.checked = !reason.checked;
    else if (e.key === "a") decide("accept");
    else if (e.key === "r") decide("reject");
    else if (e.key === "f") decide("flag");
    else if (e.key === "u") document.getElementById("undo").click();
    else if (e.key === "g") document.getElementById("grid-link").click();
    else if (e.key === "e") document.getElementById("caption").focus();
    else if (e.key === "p" || e.key === " ") controls.toggle();
    else if (e.key === ",") controls.step(-1);
    else if (e.key === ".") controls.step(1);
    else handled = false;
    if (handled) e.preventDefault();
  });

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
    if (ok) Player.saveStatus.saved(); else Player.saveStatus.failed();
    if (ok) start();
  });
  document.body.addEventListener("htmx:sendError", function () { Player.saveStatus.failed("network error"); });
  start();
})();
