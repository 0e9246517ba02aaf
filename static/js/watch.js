// What the expert has watched of each video of the judging page, sent with every save
// as the "watch" field (annotator/services/watch.py): per video the share of its
// duration played, the times it was played to the end and again, and the frame steps;
// and the seconds spent on the task. Reviewers read it against rubber-stamping. Kept
// for the tab's session: a reload (names revealed, back to the task) is no fresh look.
window.Watch = (function () {
  const opened = performance.now();
  const taskKey = "watch-seconds:" + location.pathname;
  const tracked = new Map(); // video element -> its counts and earlier played ranges
  // The last timeupdate before a loop's end is up to 250 ms of play earlier (0.5 s of
  // the video at 2x): within this of the end, a jump to the start is a replay.
  const NEAR_END = 0.75;

  function kept(key) {
    try {
      return JSON.parse(sessionStorage.getItem(key));
    } catch (error) {
      return null; // none, or not ours: measured afresh
    }
  }
  function count(value) { return Number.isInteger(value) && value >= 0 ? value : 0; }
  const before = Number(kept(taskKey)) || 0;

  function track(video, id) {
    const earlier = kept("watch:" + id) || {};
    const state = {
      id: id, replays: count(earlier.replays), steps: count(earlier.steps), last: 0, ended: false,
      earlier: Array.isArray(earlier.ranges) ? earlier.ranges.filter(function (r) {
        return Array.isArray(r) && Number.isFinite(r[0]) && Number.isFinite(r[1]);
      }) : [],
    };
    tracked.set(video, state);
    video.addEventListener("timeupdate", function () {
      if (!video.seeking) state.last = video.currentTime;
    });
    // A loop starts again by seeking to the start while playing (as does a follower
    // pulled back to its looped lead).
    video.addEventListener("seeking", function () {
      if (!video.paused && video.duration && state.last >= video.duration - NEAR_END &&
          video.currentTime < NEAR_END) state.replays += 1;
      state.last = video.currentTime;
    });
    // Without the loop: played to the end, then played again.
    video.addEventListener("ended", function () { state.ended = true; });
    video.addEventListener("play", function () {
      if (state.ended) state.replays += 1;
      state.ended = false;
    });
    video.addEventListener("framestep", function () { state.steps += 1; });
  }

  // The browser's own played ranges (seeking and frame steps add none) with those of
  // earlier visits, merged.
  function ranges(video, state) {
    const all = state.earlier.slice();
    for (let i = 0; i < video.played.length; i++) all.push([video.played.start(i), video.played.end(i)]);
    all.sort(function (a, b) { return a[0] - b[0]; });
    const merged = [];
    all.forEach(function (r) {
      const top = merged[merged.length - 1];
      if (top && r[0] <= top[1]) top[1] = Math.max(top[1], r[1]);
      else merged.push([r[0], r[1]]);
    });
    return merged;
  }
  function coverage(video, state) {
    const duration = video.duration;
    if (!duration || !isFinite(duration)) return 0;
    const played = ranges(video, state).reduce(function (sum, r) { return sum + r[1] - r[0]; }, 0);
    return Math.min(1, played / duration);
  }
  function secondsOnTask() { return before + (performance.now() - opened) / 1000; }

  function report() {
    const videos = {};
    tracked.forEach(function (state, video) {
      videos[state.id] = {
        coverage: Number(coverage(video, state).toFixed(4)), replays: state.replays, frame_steps: state.steps,
      };
    });
    return { seconds_on_task: Number(secondsOnTask().toFixed(1)), videos: videos };
  }

  window.addEventListener("pagehide", function () {
    try {
      sessionStorage.setItem(taskKey, JSON.stringify(Number(secondsOnTask().toFixed(1))));
      tracked.forEach(function (state, video) {
        sessionStorage.setItem("watch:" + state.id, JSON.stringify({
          ranges: ranges(video, state), replays: state.replays, steps: state.steps,
        }));
      });
    } catch (error) {
      // Storage full or refused: the next visit measures afresh.
    }
  });

  return { track: track, report: report };
})();
