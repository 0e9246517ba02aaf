// Uploads each dropped file in its own request (three at a time) so that every file
// has its own progress bar and its own answer: stored, duplicate, or refused; then
// follows each stored file's processing in its row until it is ready or has failed.
(function () {
  const form = document.getElementById("upload-form");
  const zone = document.getElementById("drop-zone");
  const input = document.getElementById("files");
  const rows = document.getElementById("upload-rows");
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const PARALLEL = 3;
  let batch = null;
  let totalBytes = 0;
  const loaded = new Map();
  let finished = 0, total = 0;
  const watched = new Map(); // video id -> its row, until processed
  let polling = false;
  const POLL_MS = 1000;

  function show(tr, state) {
    const bar = tr.querySelector(".progress-bar");
    const result = tr.querySelector(".result");
    tr.dataset.state = state.status;
    if (state.status === "failed") {
      bar.classList.remove("bg-success");
      bar.classList.add("bg-danger");
      result.className = "result small text-danger";
      result.textContent = tr.dataset.outcome + " · " + interpolate(gettext("processing failed: %s"), [state.error || gettext("no reason given")]);
    } else {
      result.textContent = tr.dataset.outcome + " · " + state.label;
    }
  }

  async function follow() {
    if (polling) return;
    polling = true;
    while (watched.size) {
      await new Promise(function (done) { setTimeout(done, POLL_MS); });
      const answer = await fetch("/videos/batches/" + batch.id + "/states", { headers: { Accept: "application/json" } });
      if (!answer.ok) continue;
      const states = (await answer.json()).videos;
      watched.forEach(function (tr, id) {
        const state = states[id];
        if (!state) return;
        show(tr, state);
        if (state.status === "ready" || state.status === "failed") watched.delete(id);
      });
    }
    polling = false;
  }

  function post(url, body, onProgress) {
    return new Promise(function (resolve) {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      if (onProgress) xhr.upload.onprogress = function (e) { onProgress(e.loaded); };
      xhr.onload = function () {
        let data = {};
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = { error: interpolate(gettext("server answered %s"), [xhr.status]) }; }
        resolve({ status: xhr.status, data: data });
      };
      xhr.onerror = function () { resolve({ status: 0, data: { error: gettext("network error") } }); };
      xhr.send(body);
    });
  }

  function overall() {
    let sum = 0;
    loaded.forEach(function (v) { sum += v; });
    const percent = totalBytes ? Math.round((100 * sum) / totalBytes) : 100;
    document.getElementById("overall-bar").style.width = percent + "%";
    document.getElementById("overall-text").textContent = interpolate(gettext("%(finished)s of %(total)s files uploaded (%(percent)s of bytes)"), { finished: finished, total: total, percent: percent + "%" }, true);
  }

  function row(file) {
    const tr = document.createElement("tr");
    tr.className = "upload-row";
    tr.innerHTML = '<td class="name"></td><td style="width: 40%"><div class="progress"><div class="progress-bar" style="width: 0%"></div></div></td><td class="result small"></td>';
    tr.querySelector(".name").textContent = file.name;
    rows.appendChild(tr);
    return tr;
  }

  async function ensureBatch() {
    if (batch) return batch;
    const body = new FormData();
    body.append("name", "browser upload " + new Date().toISOString().slice(0, 16).replace("T", " "));
    const answer = await post(form.dataset.batchUrl, body);
    batch = answer.data;
    document.getElementById("batch-link").href = batch.url;
    return batch;
  }

  async function upload(file, tr) {
    const body = new FormData();
    body.append("file", file);
    body.append("generator", document.getElementById("generator").value);
    body.append("benchmark", document.getElementById("benchmark").value);
    const bar = tr.querySelector(".progress-bar");
    const answer = await post("/videos/batches/" + batch.id + "/files", body, function (bytes) {
      loaded.set(file, bytes);
      bar.style.width = Math.round((100 * bytes) / file.size) + "%";
      overall();
    });
    loaded.set(file, file.size);
    finished += 1;
    const result = tr.querySelector(".result");
    bar.style.width = "100%";
    if (answer.data.error) {
      bar.classList.add("bg-danger");
      result.className = "result small text-danger";
      result.textContent = answer.data.error;
    } else if (answer.data.outcome === "duplicate" || answer.data.waiting) {
      // A duplicate, or saved while the job queue is unreachable: the message says which.
      bar.classList.add("bg-warning");
      result.textContent = answer.data.message;
    } else {
      bar.classList.add("bg-success");
      result.textContent = answer.data.outcome + " · queued";
    }
    tr.dataset.outcome = answer.data.error ? "error" : answer.data.outcome;
    if (answer.data.video && answer.data.outcome !== "duplicate") {
      watched.set(String(answer.data.video), tr);
      follow();
    }
    overall();
  }

  async function start(files) {
    if (!files.length) return;
    await ensureBatch();
    document.getElementById("overall").classList.remove("d-none");
    const queue = Array.from(files).map(function (f) { totalBytes += f.size; total += 1; return [f, row(f)]; });
    overall();
    async function worker() {
      while (queue.length) { const next = queue.shift(); await upload(next[0], next[1]); }
    }
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  }

  input.addEventListener("change", function () { start(input.files); });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) { start(e.dataTransfer.files); });
})();
