/**
 * The live page at `GET /`: one HTML document with inline CSS and JS, no
 * build step. Each `/events` tick (every second) carries the `/stats` body,
 * whose `stages` list draws the graph (producers → processors → batchers):
 * per stage its concurrency, messages per second, in flight, failures and,
 * for batchers, batch fill; the producer box shows the broker backlog; a
 * stuck stage turns red. Pause/Resume and a concurrency field per
 * processor group and batcher post to the admin routes with the token
 * typed into the page (kept in the tab's sessionStorage only).
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sluice admin</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
#graph { display: flex; align-items: stretch; gap: 1em; margin: 1em 0; flex-wrap: wrap; }
.box { border: 2px solid #468; border-radius: 6px; padding: .6em 1em; min-width: 12em; }
.box.stuck { border-color: #b00; background: #fee; }
.box h3 { margin: 0 0 .3em; font-size: 14px; }
.box input { width: 4em; }
.arrow { font-size: 24px; color: #468; align-self: center; }
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
const el = (tag, props, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};
const slug = (name) => name.replace(/\\W+/g, '-');
const post = (path, body) => {
  sessionStorage.setItem('sluice-token', $('token').value);
  const headers = { authorization: 'Bearer ' + $('token').value, 'content-type': 'application/json' };
  return fetch(path, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) })
    .then((r) => r.json().then((b) => ({ ok: r.ok, body: b })));
};
/** One box per stage, made once; its lines are refreshed on every tick. */
const boxes = new Map();
const boxFor = (stage) => {
  let b = boxes.get(stage.name);
  if (b !== undefined) return b;
  const lines = el('div', { className: 'lines' });
  const box = el('div', { className: 'box', id: 'box-' + slug(stage.name) }, el('h3', { textContent: stage.name }), lines);
  if (stage.kind !== 'producer') {
    const input = el('input', { type: 'number', min: 1, value: stage.concurrency, id: 'concurrency-' + slug(stage.name) });
    const button = el('button', { textContent: 'Set', id: 'set-' + slug(stage.name) });
    button.onclick = () => post('concurrency', { name: stage.name, concurrency: Number(input.value) })
      .then((r) => { $('result').textContent = r.ok ? stage.name + ': ' + r.body.from + ' → ' + r.body.to : r.body.error; });
    box.append(el('div', {}, 'concurrency ', input, button));
  }
  b = { box, lines, last: undefined };
  boxes.set(stage.name, b);
  return b;
};
let drawn = '';
let lastAcked;
new EventSource('events').onmessage = (e) => {
  const s = JSON.parse(e.data);
  $('title').textContent = 'Sluice: ' + s.pipeline;
  $('status').textContent = s.state + (s.paused ? ' (paused)' : '') + (s.ready ? '' : ', not ready') + (s.live ? '' : ', NOT LIVE');
  const layers = ['producer', 'processor', 'batcher'].map((k) => s.stages.filter((x) => x.kind === k)).filter((l) => l.length > 0);
  const shape = s.stages.map((x) => x.name).join(',');
  if (shape !== drawn) {
    drawn = shape;
    const parts = [];
    layers.forEach((layer, i) => { if (i > 0) parts.push(el('span', { className: 'arrow', textContent: '→' })); parts.push(...layer.map((x) => boxFor(x).box)); });
    $('graph').replaceChildren(...parts);
  }
  for (const x of s.stages) {
    const b = boxFor(x);
    const rate = b.last === undefined ? 0 : Math.max(0, x.handled - b.last);
    b.last = x.handled;
    const lines = [x.kind === 'producer' ? 'sent ' + x.handled : 'concurrency ' + x.concurrency, rate + ' msg/s'];
    if (x.kind !== 'producer') lines.push('in flight ' + x.inFlight, 'failed ' + x.failed);
    if (x.kind === 'batcher') lines.push('batch fill ' + Math.round(x.batchFill * 100) + '% of ' + x.batchSize + ' (' + x.batches + ' batches)');
    if (x.kind === 'producer') for (const k of s.backlog) lines.push('backlog ' + k.destination + (k.partition === undefined ? '' : '#' + k.partition) + ' ' + k.waiting);
    b.lines.replaceChildren(...lines.map((l, i) => el('div', { textContent: l, className: 'line-' + i })));
    const stuck = s.stuck.filter((y) => y.stage.startsWith(x.name + '.'));
    b.box.classList.toggle('stuck', stuck.length > 0);
  }
  const rate = lastAcked === undefined ? 0 : Math.max(0, s.successful - lastAcked);
  lastAcked = s.successful;
  const rows = [['received', s.received], ['acked', s.successful], ['failed', s.failed], ['in flight', s.inFlight], ['acked/s', rate], ['ack errors', s.ackErrors]];
  $('stats').replaceChildren(...rows.map(([k, v]) =>
    el('tr', {}, el('td', { textContent: k }), el('td', { textContent: String(v), id: 'stat-' + slug(k) }))));
  $('stuck').textContent = s.stuck.map((x) => 'stuck: ' + x.stage + ' holds ' + x.holding + ' for ' + Math.round(x.stalledMs / 1000) + ' s').join('; ');
};
const control = (path) => post(path).then((r) => { $('result').textContent = r.ok ? (r.body.paused ? 'paused' : 'running') : r.body.error; });
$('pause').onclick = () => control('pause');
$('resume').onclick = () => control('resume');
</script>
</body>
</html>
`;
