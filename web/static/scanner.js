/* What every scanner page shares: JSON from data- attributes, the browser's storage, an
 * idempotency key per write, the CSRF token, and the ok / error sounds. Loaded before each
 * page's own script (handheld, picking, returns, loading), which keep their flows. */
(function () {
  "use strict";

  function parse(text, fallback) {
    try { var v = JSON.parse(text); return v === null || v === undefined ? fallback : v; }
    catch (e) { return fallback; }
  }
  function load(key, fallback) {
    try { return parse(window.localStorage.getItem(key), fallback); } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full */ }
  }
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();  // secure contexts only (https, localhost)
    }
    var b = new Uint8Array(16), i, h = "";
    if (window.crypto && window.crypto.getRandomValues) { window.crypto.getRandomValues(b); }
    else { for (i = 0; i < 16; i++) { b[i] = Math.floor(Math.random() * 256); } }
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    for (i = 0; i < 16; i++) { h += (b[i] + 256).toString(16).slice(1); }
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  var audio = null;
  function unlockAudio() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) { return; }
    try {
      if (!audio) { audio = new AC(); }
      if (audio.state === "suspended") { audio.resume(); }
    } catch (e) { audio = null; }
  }
  function tone(freq, start, length, type) {
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = type;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.25, start);
    gain.gain.exponentialRampToValueAtTime(0.001, start + length);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(start);
    osc.stop(start + length + 0.02);
  }
  /* A short high beep for ok, a low double buzz for an error. */
  function beep(ok) {
    unlockAudio();
    if (!audio) { return; }
    try {
      var t = audio.currentTime;
      if (ok) { tone(1760, t, 0.09, "sine"); }
      else { tone(160, t, 0.2, "square"); tone(120, t + 0.25, 0.3, "square"); }
    } catch (e) { /* no sound is not an error */ }
  }
  document.addEventListener("keydown", unlockAudio, { once: true });
  document.addEventListener("pointerdown", unlockAudio, { once: true });

  window.WmsScanner = { parse: parse, load: load, save: save, uuid: uuid, csrf: csrf,
                        beep: beep, unlockAudio: unlockAudio };
}());
