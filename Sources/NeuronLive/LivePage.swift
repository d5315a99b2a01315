/// The live view's page: HTML, CSS and JavaScript in one document served from the binary, drawn on canvases by
/// its own code (no library, no CDN: labs are often offline). It reads the feed (`LiveWire`) and exposes what it
/// received on `<body>` for tests: `data-samples`, `data-spikes`, `data-frames`, `data-done` ("1" once the end
/// message arrived) and `data-mode`.
enum LivePage {
    static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NeuronHIL live view</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:0;background:#111;color:#ddd}
header{padding:8px 14px;background:#1b1b1b;border-bottom:1px solid #333}
h1{font-size:16px;margin:0 0 2px}
#info{color:#aaa}
#state{float:right;font-weight:bold}
.bar{height:6px;background:#333;margin-top:6px}.bar div{height:6px;background:#4caf50;width:0}
#controls{padding:6px 14px;display:flex;gap:14px;align-items:center;flex-wrap:wrap;background:#161616}
#controls input[type=range]{width:340px}
main{padding:6px 14px}
.ch{position:relative;margin-bottom:8px}
.ch h2{font-size:13px;margin:4px 0;color:#9cf}
canvas{background:#000;display:block;width:100%}
#tip{position:fixed;pointer-events:none;background:#222;border:1px solid #666;padding:4px 6px;display:none;white-space:pre;z-index:9}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #333;padding:2px 8px;text-align:right}
#summary{white-space:pre-wrap;background:#1b1b1b;padding:8px;display:none}
.legend span{margin-right:12px}
</style></head>
<body data-samples="0" data-spikes="0" data-frames="0" data-done="0" data-mode="">
<header><span id="state">connecting</span><h1>NeuronHIL <span id="mode"></span></h1><div id="info"></div>
<div class="bar"><div id="progress"></div></div><div id="progressText"></div></header>
<div id="controls">
<label>window <select id="window"><option>0.1</option><option>0.3</option><option selected>1</option><option>3</option><option>10</option><option>30</option></select> s</label>
<label>scale <select id="vdiv"><option>0.05</option><option>0.1</option><option selected>0.2</option><option>0.5</option><option>1</option></select> V/div</label>
<button id="pause">pause</button><button id="play" style="display:none">play</button>
<label>time <input id="slider" type="range" min="0" max="0" step="0.001" value="0"> <span id="at">0.000 s</span></label>
<span class="legend"><span style="color:#4dd0e1">&#9632; capacitor</span><span style="color:#ffb74d">&#9632; stimulus</span><span style="color:#ef5350">&#9650; spike</span></span>
</div>
<main><div id="channels"></div>
<h2>raster</h2><canvas id="raster" height="60"></canvas>
<table id="stats"><thead><tr><th>neuron</th><th>samples</th><th>pulses</th><th>spikes</th><th>fired pulses</th><th>firing probability / pulse</th><th>rate (Hz)</th></tr></thead><tbody></tbody></table>
<h2 id="summaryTitle" style="display:none">summary</h2><div id="summary"></div>
<p id="counts"></p></main>
<div id="tip"></div>
<script>
"use strict";
const $ = id => document.getElementById(id);
const S = {info:null, ch:[], samples:0, spikes:0, frames:0, latest:0, follow:true, at:0, figures:[], ended:false, playing:false};
function fmt(x, d){ return Number.isFinite(x) ? x.toFixed(d) : "-"; }
function channel(i){
  if (S.ch[i]) return S.ch[i];
  const div = document.createElement("div"); div.className = "ch";
  const id = S.info ? S.info.neurons[i] : i;
  div.innerHTML = `<h2>neuron ${id}</h2>`;
  const cv = document.createElement("canvas"); cv.height = 220; div.appendChild(cv); $("channels").appendChild(div);
  const c = {neuron:id, idx:[], v:[], spikes:[], canvas:cv, marks:[]};
  cv.addEventListener("mousemove", e => hover(c, e)); cv.addEventListener("mouseleave", () => { $("tip").style.display = "none"; });
  S.ch[i] = c; return c;
}
function onTrace(buf){
  const d = new DataView(buf); if (d.getUint8(0) !== 1) return;
  const c = channel(d.getUint16(2, true)), samples = d.getUint32(4, true), n = d.getUint32(8, true);
  for (let k = 0, o = 12; k < n; k++, o += 20){
    c.idx.push(d.getUint32(o, true));
    c.v.push(d.getFloat32(o+4, true), d.getFloat32(o+8, true), d.getFloat32(o+12, true), d.getFloat32(o+16, true));
  }
  if (n) S.latest = Math.max(S.latest, (c.idx[c.idx.length-1] + 1) * S.info.columnSeconds);
  S.samples += samples; S.frames += 1; counts();
}
function counts(){ const b = document.body.dataset; b.samples = S.samples; b.spikes = S.spikes; b.frames = S.frames; }
function onSpike(s){
  const i = S.info.neurons.indexOf(s.neuron); if (i < 0) return;
  channel(i).spikes.push(s); S.spikes += 1; counts();
}
function onMessage(m){
  switch (m.type){
  case "hello":
    S.info = m; document.body.dataset.mode = m.mode; $("mode").textContent = m.mode === "view" ? "recording" : "live run";
    $("info").textContent = `${m.command} on ${m.board} · ${m.protocolText} · ${m.sampleRateHz} S/s · ${m.durationSeconds.toFixed(3)} s`;
    m.neurons.forEach((_, i) => channel(i));
    if (m.mode === "view"){ S.follow = false; $("play").style.display = ""; $("pause").style.display = "none"; }
    break;
  case "spike": onSpike(m); break;
  case "spikes": m.spikes.forEach(onSpike); break;
  case "status": S.figures = m.figures; S.report = m.report; S.viewers = m.viewers; break;
  case "end": S.figures = m.figures; S.report = m.report; S.ended = true; showSummary(m); break;
  }
}
function showSummary(m){
  $("summaryTitle").style.display = "block"; $("summary").style.display = "block";
  let t = `ended: ${m.termination}\n`;
  for (const f of m.figures) t += `neuron ${f.neuron}: ${f.samples} samples, ${f.pulses} pulses, ${f.spikes} spikes, firing probability ${fmt(f.firingProbability,3)} per pulse (${f.firedPulses} of ${f.pulses} pulses fired)\n`;
  if (m.summary && m.summary.result){ const r = m.summary.result; t += `run: ${r.samples} samples in ${fmt(r.elapsedSeconds,3)} s; safe state ${r.safeState}\n`; }
  $("summary").textContent = t;
  $("state").textContent = "ended"; counts(); document.body.dataset.done = "1";
}
function windowEnd(){ return S.follow ? S.latest : S.at; }
function draw(){
  if (!S.info) return requestAnimationFrame(draw);
  const win = +$("window").value, vdiv = +$("vdiv").value, end = Math.max(windowEnd(), win), start = end - win;
  const cs = S.info.columnSeconds;
  for (const c of S.ch){
    const cv = c.canvas, W = cv.width = cv.clientWidth || 800, H = cv.height, g = cv.getContext("2d");
    g.clearRect(0, 0, W, H);
    g.strokeStyle = "#222"; g.lineWidth = 1;
    for (let k = 1; k < 10; k++){ g.beginPath(); g.moveTo(k*W/10, 0); g.lineTo(k*W/10, H); g.stroke(); }
    for (let k = 1; k < 8; k++){ g.beginPath(); g.moveTo(0, k*H/8); g.lineTo(W, k*H/8); g.stroke(); }
    const y = v => H - H/8 - v / vdiv * H/8, x = t => (t - start) / win * W;
    let lo = 0, hi = c.idx.length; const first = Math.floor(start / cs);
    while (lo < hi){ const m = (lo + hi) >> 1; if (c.idx[m] < first) lo = m + 1; else hi = m; }
    for (const [a, col] of [[2, "#ffb74d"], [0, "#4dd0e1"]]){
      g.strokeStyle = col; g.beginPath(); let px = -1, mn = 0, mx = 0, started = false;
      const put = () => { if (px < 0 || !Number.isFinite(mn)) return; if (!started){ g.moveTo(px, y(mn)); started = true; } g.lineTo(px, y(mn)); g.lineTo(px, y(mx)); };
      for (let k = lo; k < c.idx.length; k++){
        const t = c.idx[k] * cs; if (t > end) break;
        const p = Math.round(x(t)), a0 = c.v[4*k+a], a1 = c.v[4*k+a+1];
        if (p !== px){ put(); px = p; mn = a0; mx = a1; } else { mn = Math.min(mn, a0); mx = Math.max(mx, a1); }
      }
      put(); g.stroke();
    }
    c.marks = [];
    g.fillStyle = "#ef5350";
    for (const s of c.spikes){
      if (s.peakTime < start || s.peakTime > end) continue;
      const px = x(s.peakTime), py = y(s.peakVolts) - 4;
      g.beginPath(); g.moveTo(px, py); g.lineTo(px-4, py-7); g.lineTo(px+4, py-7); g.fill(); c.marks.push([px, s]);
    }
    g.fillStyle = "#888"; g.fillText(`${vdiv} V/div · ${(win/10*1000).toFixed(0)} ms/div · ${start.toFixed(3)}-${end.toFixed(3)} s`, 6, 12);
  }
  drawRaster(start, end); stats(); requestAnimationFrame(draw);
}
function drawRaster(start, end){
  const cv = $("raster"), n = Math.max(1, S.ch.length); cv.height = 14 * n + 6;
  const W = cv.width = cv.clientWidth || 800, g = cv.getContext("2d"), T = Math.max(S.info.durationSeconds, S.latest, 1e-3);
  g.clearRect(0, 0, W, cv.height); g.fillStyle = "#1d2a3a"; g.fillRect(start / T * W, 0, (end - start) / T * W, cv.height);
  S.ch.forEach((c, i) => { g.fillStyle = "#ef5350"; for (const s of c.spikes) g.fillRect(s.onset / T * W, 3 + 14*i, 1.5, 11); g.fillStyle = "#888"; g.fillText(String(c.neuron), 2, 12 + 14*i); });
}
function stats(){
  const rows = S.figures.map(f => `<tr><td>${f.neuron}</td><td>${f.samples}</td><td>${f.pulses}</td><td>${f.spikes}</td><td>${f.firedPulses}</td><td>${fmt(f.firingProbability,3)}</td><td>${fmt(S.latest > 0 ? f.spikes / S.latest : 0,2)}</td></tr>`);
  $("stats").tBodies[0].innerHTML = rows.join("");
  const T = S.info.durationSeconds, p = T > 0 ? Math.min(1, S.latest / T) : 0;
  $("progress").style.width = (100*p).toFixed(1) + "%";
  $("progressText").textContent = `${S.latest.toFixed(2)} of ${T.toFixed(2)} s`;
  const sl = $("slider"); sl.max = S.latest.toFixed(3); if (S.follow) sl.value = sl.max;
  $("at").textContent = `${windowEnd().toFixed(3)} s`;
  const r = S.report || {};
  $("counts").textContent = `received ${S.samples} samples, ${S.spikes} spikes, ${S.frames} trace messages; viewers ${S.viewers ?? "-"}; skipped for slow viewers ${r.traceMessagesSkipped ?? 0} messages`;
  counts();
}
function hover(c, e){
  const r = c.canvas.getBoundingClientRect(), px = (e.clientX - r.left) * c.canvas.width / r.width;
  let best = null; for (const [x, s] of c.marks) if (Math.abs(x - px) < 6 && (!best || Math.abs(x - px) < Math.abs(best[0] - px))) best = [x, s];
  const tip = $("tip"); if (!best){ tip.style.display = "none"; return; }
  const s = best[1];
  tip.textContent = `spike ${s.index} (pulse ${s.pulse})\npeak ${s.peakVolts.toFixed(3)} V at ${s.peakTime.toFixed(4)} s\nenergy ${s.energyPJ.toFixed(1)} pJ\nbias time ${s.biasMs.toFixed(2)} ms · ${s.fullyFormed ? "fully formed" : "partial"}`;
  tip.style.left = (e.clientX + 12) + "px"; tip.style.top = (e.clientY + 12) + "px"; tip.style.display = "block";
}
$("pause").onclick = () => { S.follow = !S.follow; S.at = S.latest; $("pause").textContent = S.follow ? "pause" : "follow"; };
$("slider").oninput = e => { S.follow = false; S.at = +e.target.value; $("pause").textContent = "follow"; };
$("play").onclick = () => { S.playing = !S.playing; $("play").textContent = S.playing ? "stop" : "play"; let last = performance.now();
  const step = now => { if (!S.playing) return; S.at = Math.min(S.latest, S.at + (now - last) / 1000); last = now; $("slider").value = S.at; if (S.at >= S.latest){ S.playing = false; $("play").textContent = "play"; } else requestAnimationFrame(step); };
  requestAnimationFrame(step); };
const ws = new WebSocket(`ws://${location.host}/ws`); ws.binaryType = "arraybuffer";
ws.onopen = () => { $("state").textContent = "live"; };
ws.onmessage = e => { if (typeof e.data === "string") onMessage(JSON.parse(e.data)); else onTrace(e.data); if (S.ended && S.info.mode === "live") ws.close(); };
ws.onclose = () => { if (!S.ended) $("state").textContent = "disconnected (reload to rejoin: the run so far is sent again)"; };
requestAnimationFrame(draw);
</script></body></html>
"""#
}
