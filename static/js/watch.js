// What the expert has watched of each video of the judging page, sent with every save
// as the "watch" field (annotator/services/watch.py): per video the share of its
// duration played, the times it was played to the end and again, and the frame steps;
// and the seconds since the page opened. Reviewers read it against rubber-stamping.
window.Watch = (function () {
  const opened = performance.now();
  const tracked = new Map(); // video element -> its counts
  // The last timeupdate before a loop's end is up to 250 ms of play earlier (0.5 s of
  // the video at 2x): within this of the end, a jump to the start is a replay.
  const NEAR_END = 0.75;

  function track(video, id) {
    const state = { id: id, replays: 0, steps: 0, last: 0, ended: false };
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

  // The browser's own played ranges, merged already: seeking and frame steps add none.
  function coverage(video) {
    const duration = video.duration;
    if (!duration || !isFinite(duration)) return 0;
    let played = 0;
    for (let i = 0; i < video.played.length; i++) played += video.played.end(i) - video.played.start(i);
    return Math.min(1, played / duration);
  }

  function report() {
    const videos = {};
    tracked.forEach(function (state, video) {
      videos[state.id] = {
        coverage: Number(coverage(video).toFixed(4)), replays: state.replays, frame_steps: state.steps,
      };
    });
    return { seconds_on_task: Number(((performance.now() - opened) / 1000).toFixed(1)), videos: videos };
  }

  return { track: track, report: report };
})();
