// Record a dictation on the upload page with the browser's microphone (getUserMedia + MediaRecorder).
// The recording (WebM/Opus or OGG/Opus, whatever the browser gives) is put into the form's file field,
// so it goes to the server by the same upload as a chosen file. Loaded as a file: the CSP forbids
// inline scripts. Without a microphone or MediaRecorder the panel says so and the file field stays.
(function () {
  "use strict";

  var panel = document.getElementById("tx-recorder");
  var input = document.getElementById("id_audio");
  if (!panel || !input) return;
  var startButton = document.getElementById("tx-record-start");
  var stopButton = document.getElementById("tx-record-stop");
  var againButton = document.getElementById("tx-record-again");
  var status = document.getElementById("tx-record-status");
  var timer = document.getElementById("tx-record-time");
  var level = document.getElementById("tx-record-level");
  var preview = document.getElementById("tx-record-preview");

  function say(message) { status.textContent = message; }

  var MIME_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/ogg"];
  var supported = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder &&
                     window.DataTransfer);
  if (!supported) {
    say("Recording is not available in this browser: record on your device and upload the file instead.");
    return;
  }
  panel.hidden = false;

  var recorder = null, stream = null, chunks = [], started = 0, ticker = null, audioContext = null;

  function clock() {
    var seconds = Math.floor((Date.now() - started) / 1000);
    timer.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function meter(source) {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audioContext = new Context();
    var analyser = audioContext.createAnalyser();
    analyser.fftSize = 512;
    audioContext.createMediaStreamSource(source).connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    (function draw() {
      if (!recorder || recorder.state !== "recording") return;
      analyser.getByteTimeDomainData(samples);
      var peak = 0;
      for (var i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i] - 128));
      level.value = Math.min(1, peak / 128);
      requestAnimationFrame(draw);
    })();
  }

  function release() {
    clearInterval(ticker);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    if (audioContext) audioContext.close();
    stream = null;
    audioContext = null;
    level.value = 0;
  }

  function finish() {
    var type = (recorder.mimeType || "audio/webm").split(";")[0];
    var extension = type.indexOf("ogg") >= 0 ? "ogg" : "webm";
    var file = new File(chunks, "dictation-" + new Date().toISOString().replace(/[:.]/g, "-") + "." + extension,
                        { type: type });
    var transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    say("Recorded " + timer.textContent + ". Listen back, record again, or upload it with the form below.");
    startButton.hidden = true;
    againButton.hidden = false;
    stopButton.disabled = true;
  }

  function start() {
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (granted) {
      stream = granted;
      var mimeType = MIME_TYPES.filter(function (type) { return MediaRecorder.isTypeSupported(type); })[0];
      recorder = mimeType ? new MediaRecorder(stream, { mimeType: mimeType }) : new MediaRecorder(stream);
      chunks = [];
      recorder.addEventListener("dataavailable", function (event) { if (event.data.size) chunks.push(event.data); });
      recorder.addEventListener("stop", function () { release(); finish(); });
      recorder.start(1000);
      started = Date.now();
      clock();
      ticker = setInterval(clock, 250);
      meter(stream);
      preview.hidden = true;
      startButton.disabled = true;
      againButton.hidden = true;
      stopButton.disabled = false;
      stopButton.focus();
      say("Recording… press Stop when you have finished.");
    }).catch(function (problem) {
      var refused = problem && (problem.name === "NotAllowedError" || problem.name === "SecurityError");
      say(refused
        ? "The microphone was refused: allow it for this site in the browser's settings, or upload a file instead."
        : "No microphone could be opened (" + (problem && problem.name || "unknown problem") +
          "): upload a file instead.");
      startButton.disabled = false;
    });
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () {
    if (recorder && recorder.state === "recording") recorder.stop();
  });
  againButton.addEventListener("click", function () {
    input.value = "";
    startButton.hidden = false;
    startButton.disabled = false;
    start();
  });
})();
