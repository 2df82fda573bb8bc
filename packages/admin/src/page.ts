/**
 * The live page at `GET /`: one HTML document with inline CSS and JS, no
 * build step. It draws the topology (producers → processors → batchers)
 * from `/topology`, updates the counters from the `/events` stream every
 * second, and posts `/pause` and `/resume` with the token typed into it
 * (kept in the tab's sessionStorage only).
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sluice admin</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
#graph { display: flex; align-items: center; gap: 1em; margin: 1em 0; }
.box { border: 2px solid #468; border-radius: 6px; padding: .6em 1em; min-width: 10em; }
.box h3 { margin: 0 0 .3em; font-size: 14px; }
.arrow { font-size: 24px; color: #468; }
#stats td { padding: .1em .8em .1em 0; }
.bad { color: #b00; font-weight: bold; }
button { margin-right: .5em; }
</style>
</head>
<body>
<h1 id="title">Sluice</h1>
<div id="status"></div>
<div id="graph"></div>
<table id="stats"></table>
<p id="stuck" class="bad"></p>
<p>
<input id="token" type="password" placeholder="admin token" size="30">
<button id="pause">Pause</button><button id="resume">Resume</button>
<span id="result"></span>
</p>
<script>
const $ = (id) => document.getElementById(id);
$('token').value = sessionStorage.getItem('sluice-token') || '';
const box = (title, lines) => {
  const d = document.createElement('div');
  d.className = 'box';
  const h = document.createElement('h3');
  h.textContent = title;
  d.append(h);
  for (const l of lines) { const p = document.createElement('div'); p.textContent = l; d.append(p); }
  return d;
};
const arrow = () => { const s = document.createElement('span'); s.className = 'arrow'; s.textContent = '→'; return s; };
fetch('topology').then((r) => r.json()).then((t) => {
  $('title').textContent = 'Sluice: ' + t.pipeline;
  const g = $('graph');
  g.append(...t.producers.map((p) => box(p.name, ['concurrency ' + p.concurrency])));
  g.append(arrow(), ...t.processors.map((p) => box(p.name, ['concurrency ' + p.concurrency])));
  if (t.batchers.length > 0) {
    g.append(arrow(), ...t.batchers.map((b) => box(b.name, ['concurrency ' + b.concurrency, 'batchSize ' + b.batchSize, 'batchTimeout ' + b.batchTimeout + ' ms'])));
  }
});
let last;
new EventSource('events').onmessage = (e) => {
  const s = JSON.parse(e.data);
  const rate = last === undefined ? 0 : Math.max(0, s.successful - last);
  last = s.successful;
  $('status').textContent = s.state + (s.paused ? ' (paused)' : '') + (s.ready ? '' : ', not ready') + (s.live ? '' : ', NOT LIVE');
  const rows = [['received', s.received], ['acked', s.successful], ['failed', s.failed], ['in flight', s.inFlight], ['acked/s', rate], ['ack errors', s.ackErrors]];
  for (const b of s.backlog) rows.push(['backlog ' + b.destination + (b.partition === undefined ? '' : '#' + b.partition), b.waiting]);
  $('stats').replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr');
    const a = document.createElement('td'); a.textContent = k;
    const b = document.createElement('td'); b.textContent = String(v); b.id = 'stat-' + k.replace(/\\W+/g, '-');
    tr.append(a, b);
    return tr;
  }));
  $('stuck').textContent = s.stuck.map((x) => 'stuck: ' + x.stage + ' holds ' + x.holding + ' for ' + Math.round(x.stalledMs / 1000) + ' s').join('; ');
};
const control = (path) => {
  sessionStorage.setItem('sluice-token', $('token').value);
  fetch(path, { method: 'POST', headers: { authorization: 'Bearer ' + $('token').value } })
    .then((r) => r.json().then((b) => { $('result').textContent = r.ok ? (b.paused ? 'paused' : 'running') : b.error; }));
};
$('pause').onclick = () => control('pause');
$('resume').onclick = () => control('resume');
</script>
</body>
</html>
`;
