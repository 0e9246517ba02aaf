// What the judging and clip-review workspaces share, loaded before the page's own script:
// the player controls (#play, #step-back, #step-forward, #speed, #loop) over videos that
// play, pause and step together, and the save-status line (#save-state), which says
// what each save did. Each frame step is told to the videos ("framestep": watch.js counts them).
window.Player = (function () {
  // videos() is asked on every use, the first video leading: clip review swaps its
  // video (and its controls, hence the delegated listeners) after each decision.
  function controls(videos) {
    function lead() { return videos()[0]; }
    function seekAll(time) {
      videos().forEach(function (v) { v.currentTime = Math.min(time, (v.duration || time)); });
    }
    // Followers start and stop where the lead is.
    function lineUp() { if (videos().length > 1) seekAll(lead().currentTime); }
    function playing() { const v = lead(); return Boolean(v) && !v.paused; }
    function toggle() {
      const all = videos();
      if (!all.length) return;
      if (playing()) {
        all.forEach(function (v) { v.pause(); });
        lineUp();
      } else {
        lineUp();
        Promise.all(all.map(function (v) { return v.play(); })).catch(function () {});
      }
    }
    function step(frames) {
      const first = lead();
      if (!first) return;
      videos().forEach(function (v) { v.pause(); v.dispatchEvent(new Event("framestep")); });
      seekAll(Math.max(0, first.currentTime + frames / (Number(first.dataset.fps) || 24)));
    }
    // The speed and loop chosen in the controls, for a video that has just come in.
    function applySettings() {
      const rate = Number(document.getElementById("speed").value);
      const loop = document.getElementById("loop").checked;
      videos().forEach(function (v) { v.playbackRate = rate; v.loop = loop; });
    }

    document.addEventListener("click", function (e) {
      if (e.target.closest("#play")) toggle();
      else if (e.target.closest("#step-back")) step(-1);
      else if (e.target.closest("#step-forward")) step(1);
    });
    document.addEventListener("change", function (e) {
      if (e.target.id === "speed" || e.target.id === "loop") applySettings();
    });
    // The play button says what it will do; media events do not bubble, so capture.
    ["play", "pause"].forEach(function (type) {
      document.addEventListener(type, function (e) {
        const button = document.getElementById("play");
        if (button && e.target === lead()) button.textContent = e.target.paused ? "▶ " + gettext("play") : "❚❚ " + gettext("pause");
      }, true);
    });
    return { playing: playing, toggle: toggle, step: step, seekAll: seekAll, applySettings: applySettings };
  }

  // ok: true (green), false (red), null (neither: there was nothing to do).
  function show(text, ok) {
    const state = document.getElementById("save-state");
    if (!state) return;
    state.textContent = text;
    if (ok !== undefined) {
      state.className = "ms-auto " + (ok === null ? "text-body-secondary" : ok ? "text-success" : "text-danger");
    }
  }
  // What the answer said it did ("said" in its HX-Trigger: annotator.core.htmx.said).
  function said(xhr) {
    try {
      return JSON.parse(xhr.getResponseHeader("HX-Trigger") || "{}").said || null;
    } catch (error) {
      return null;  // a plain event name, not ours
    }
  }
  const saveStatus = {
    saving: function () { show(gettext("saving…")); },
    saved: function (xhr) {
      const answer = xhr && said(xhr);
      if (answer) show(answer.text, answer.ok); else show(gettext("saved"), true);
    },
    said: show,
    failed: function (why) { show(why ? interpolate(gettext("not saved: %s"), [why]) : gettext("not saved"), false); },
  };

  return { controls: controls, saveStatus: saveStatus };
})();
