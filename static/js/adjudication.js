// A reviewer's final answer on a clip, from the keyboard as in the clip workspace
// (keys.js): the level and reason keys, a and r for the final accept or reject.
(function () {
  const form = document.getElementById("adjudication-form");
  const video = document.querySelector(".clip-player");
  if (!form) return;
  function decide(decision) {
    return function () { form.querySelector('button[name="decision"][value="' + decision + '"]').click(); };
  }
  function toggle() {
    if (!video) return;
    if (video.paused) video.play().catch(function () {}); else video.pause();
  }
  Keys.workspace([].concat(Keys.inputs(".level-choice", "level"), Keys.inputs(".reasons", "reason"), [
    { keys: ["a"], label: "a", does: gettext("accept, final"), brief: gettext("accept"), run: decide("accept") },
    { keys: ["r"], label: "r", does: gettext("reject, final (tick its reasons first)"), brief: gettext("reject"), run: decide("reject") },
    { keys: ["e"], label: "e", does: gettext("edit the caption (Esc leaves it)"), run: function () { document.getElementById("caption").focus(); } },
    { keys: ["p", " "], label: gettext("p / space"), does: gettext("play / pause"), run: toggle },
  ]));
})();
