// The single-clip workspace: one key per decision, level and reason; the player's
// controls; the time spent on each clip; the next clip, preloaded by the page, moves
// into the player when the decision's answer is swapped in (hx-preserve).
(function () {
  let shownAt = performance.now();

  function workspace() { return document.getElementById("clip-workspace"); }
  function player() { return document.querySelector(".clip-stage video"); }
  function form() { return document.getElementById("clip-answer"); }

  function start() {
    shownAt = performance.now();
    const video = player();
    if (!video) return;
    video.playbackRate = Number(document.getElementById("speed").value);
    video.loop = document.getElementById("loop").checked;
    video.play().catch(function () {});
  }
  function toggle() {
    const video = player();
    if (!video) return;
    if (video.paused) video.play().catch(function () {}); else video.pause();
  }
  function step(frames) {
    const video = player();
    if (!video) return;
    video.pause();
    video.currentTime = Math.max(0, video.currentTime + frames / (Number(video.dataset.fps) || 24));
  }
  function decide(decision) {
    const answer = form();
    if (!answer) return;
    answer.elements.decision.value = decision;
    htmx.trigger(answer, "submit");
  }

  document.addEventListener("click", function (e) {
    const id = e.target.id;
    const button = e.target.closest(".decide");
    if (button) decide(button.dataset.decision);
    else if (id === "play") toggle();
    else if (id === "step-back") step(-1);
    else if (id === "step-forward") step(1);
    else if (id === "use-suggestion") {
      document.getElementById("caption").value = document.querySelector(".suggestion-caption").textContent;
    }
  });
  document.addEventListener("change", function (e) {
    const video = player();
    if (!video) return;
    if (e.target.id === "speed") video.playbackRate = Number(e.target.value);
    if (e.target.id === "loop") video.loop = e.target.checked;
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
    else if (e.key === "p" || e.key === " ") toggle();
    else if (e.key === ",") step(-1);
    else if (e.key === ".") step(1);
    else handled = false;
    if (handled) e.preventDefault();
  });

  // The play button says what it will do; media events do not bubble, so capture.
  ["play", "pause"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      const button = document.getElementById("play");
      if (button && e.target === player()) button.textContent = e.target.paused ? "▶ play" : "❚❚ pause";
    }, true);
  });

  // The time spent on the clip goes with the decision.
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt.id === "clip-answer") {
      e.detail.parameters.seconds = ((performance.now() - shownAt) / 1000).toFixed(1);
    }
  });
  document.body.addEventListener("htmx:beforeRequest", function () {
    const state = document.getElementById("save-state");
    if (state) state.textContent = "saving…";
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target.id !== "clip-workspace" && !document.getElementById("clip-workspace")) return;
    const state = document.getElementById("save-state");
    const ok = e.detail.xhr.status < 300;
    if (state) {
      state.textContent = ok ? "saved" : "not saved";
      state.className = "ms-auto " + (ok ? "text-success" : "text-danger");
    }
    if (ok) start();
  });
  document.body.addEventListener("htmx:sendError", function () {
    const state = document.getElementById("save-state");
    if (state) { state.textContent = "not saved: network error"; state.className = "ms-auto text-danger"; }
  });
  start();
})();
