// The explorer page: search with autocomplete, neighbours, analogies and the scatter plot.
// Talks only to this server's JSON API (see /openapi.json).

import { Scatter } from "./scatter.js";

const $ = (id) => document.getElementById(id);
const METHOD_NAMES = { pca: "PCA", tsne: "t-SNE", umap: "UMAP" };
const state = { word: null, info: null, suggestSeq: 0, active: -1, plotSeq: 0 };

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const r = await fetch(path, opts);
  const data = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
  return data;
}

let errorTimer = null;
function showError(err) {
  const box = $("error");
  box.textContent = err instanceof Error ? err.message : String(err);
  box.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

function clamp(v, lo, hi, dflt) {
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? Math.max(lo, Math.min(hi, n)) : dflt;
}

// ---- scored word lists -------------------------------------------------------------------
function fillScored(list, rows, emptyText = "nothing") {
  list.replaceChildren();
  if (!rows.length) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = emptyText;
    list.append(li);
    return;
  }
  const max = Math.max(...rows.map((r) => Math.abs(r.score)), 1e-9);
  for (const { word, score } of rows) {
    const li = document.createElement("li");
    li.dataset.word = word;
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.max(0, (100 * score) / max)}%`;
    const b = document.createElement("button");
    b.type = "button";
    b.className = "word";
    b.textContent = word;
    b.addEventListener("click", () => choose(word));
    const s = document.createElement("span");
    s.className = "score";
    s.textContent = score.toFixed(4);
    li.append(bar, b, s);
    list.append(li);
  }
}

// ---- neighbours ----------------------------------------------------------------------------
async function showNeighbours(word) {
  const topn = clamp($("topn").value, 1, state.info ? state.info.max_topn : 1000, 15);
  const data = await api(`/api/neighbours?word=${encodeURIComponent(word)}&topn=${topn}`);
  state.word = word;
  $("neighbours-title").textContent = `Nearest neighbours of “${word}”`;
  fillScored($("neighbours"), data.neighbours);
  scatter.select(word);
}

async function choose(word, { plot = true } = {}) {
  $("search").value = word;
  hideSuggest();
  try {
    await showNeighbours(word);
    if (plot && $("plot-source").value === "neighbours") await plotNow();
  } catch (err) {
    showError(err);
  }
}

// ---- autocomplete -------------------------------------------------------------------------
function hideSuggest() {
  $("suggest").hidden = true;
  $("search").setAttribute("aria-expanded", "false");
  state.active = -1;
}

function markActive() {
  [...$("suggest").children].forEach((li, i) => li.setAttribute("aria-selected", String(i === state.active)));
}

let suggestTimer = null;
function onType() {
  clearTimeout(suggestTimer);
  const prefix = $("search").value;
  if (!prefix.trim()) { hideSuggest(); return; }
  suggestTimer = setTimeout(async () => {
    const seq = ++state.suggestSeq;
    try {
      const data = await api(`/api/autocomplete?prefix=${encodeURIComponent(prefix)}&limit=12`);
      if (seq !== state.suggestSeq) return; // a newer keystroke has already asked
      const list = $("suggest");
      list.replaceChildren();
      for (const word of data.words) {
        const li = document.createElement("li");
        li.role = "option";
        li.textContent = word;
        li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(word); });
        list.append(li);
      }
      state.active = -1;
      list.hidden = data.words.length === 0;
      $("search").setAttribute("aria-expanded", String(!list.hidden));
    } catch (err) {
      showError(err);
    }
  }, 60);
}

function onSearchKey(e) {
  const items = [...$("suggest").children];
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    if ($("suggest").hidden || !items.length) return;
    e.preventDefault();
    const step = e.key === "ArrowDown" ? 1 : -1;
    state.active = (state.active + step + items.length) % items.length;
    markActive();
  } else if (e.key === "Escape") {
    hideSuggest();
  } else if (e.key === "Enter") {
    // handled here: a form with two inputs and no submit button does not submit on Enter
    onSearchSubmit(e);
  }
}

function onSearchSubmit(e) {
  e.preventDefault();
  const items = [...$("suggest").children];
  const word = !$("suggest").hidden && state.active >= 0 ? items[state.active].textContent : $("search").value.trim();
  if (word) choose(word);
}

// ---- analogy ---------------------------------------------------------------------------------
async function onAnalogy(e) {
  e.preventDefault();
  const [a, b, c] = ["an-a", "an-b", "an-c"].map((id) => $(id).value.trim() || $(id).placeholder);
  ["an-a", "an-b", "an-c"].forEach((id, k) => { $(id).value = [a, b, c][k]; });
  try {
    const data = await api("/api/analogy", { a, b, c, topn: 10 });
    fillScored($("an-add"), data.cosadd);
    fillScored($("an-mul"), data.cosmul);
    if (data.cosadd.length) await plotAnalogy(a, b, c, data.cosadd[0].word);
  } catch (err) {
    showError(err);
  }
}

// the analogy as its two arrows, a -> b and c -> answer, over a PCA of the four words: when the
// vectors hold the relation, the arrows come out parallel and of similar length
async function plotAnalogy(a, b, c, d) {
  const seq = ++state.plotSeq;
  const words = [...new Set([a, b, c, d])];
  const data = await api("/api/projection", { words, method: "pca", dims: 2 });
  if (seq !== state.plotSeq) return;
  scatter.setData(data.words, data.coords, 2, null, [[a, b], [c, d]]);
  $("plot-status").textContent = `${a} → ${b} and ${c} → ${d} (3CosAdd's answer), PCA 2-D of the four words: parallel arrows mean the relation holds.`;
}

// ---- scatter -------------------------------------------------------------------------------
const scatter = new Scatter($("scatter"), { onPick: (word) => choose(word, { plot: false }) });
window.wordvecScatter = scatter; // for the end-to-end tests and the console: positionOf(word)

async function plotNow() {
  const source = $("plot-source").value;
  const maxPoints = state.info ? state.info.max_points : 5000;
  const maxTopn = state.info ? state.info.max_topn : 1000;
  const n = clamp($("plot-n").value, 1, source === "top" ? maxPoints : Math.min(maxTopn, maxPoints - 1), 60);
  const body = { method: $("plot-method").value, dims: Number($("plot-dims").value) };
  if (source === "top") body.top = n;
  else if (state.word) { body.neighbours_of = state.word; body.topn = n; }
  else throw new Error("pick a word first, or show the most frequent words");
  const seq = ++state.plotSeq;
  const status = $("plot-status");
  status.textContent = `computing ${METHOD_NAMES[body.method]} ${body.dims}-D…`;
  status.classList.add("busy");
  $("scatter").dataset.ready = "0";
  try {
    const data = await api("/api/projection", body);
    if (seq !== state.plotSeq) return;
    scatter.setData(data.words, data.coords, data.dims, data.centre);
    if (state.word && !data.centre) scatter.select(state.word);
    const how = data.cached ? "cached" : `${data.seconds.toFixed(2)} s`;
    const what = data.centre ? `“${data.centre}” and ${data.words.length - 1} neighbours` : `${data.words.length} most frequent words`;
    status.textContent = `${what}, ${METHOD_NAMES[data.method]} ${data.dims}-D (${how}). ${data.dims === 3 ? "Drag to rotate" : "Drag to pan"}, wheel to zoom, click a point for its neighbours.`;
  } finally {
    if (seq === state.plotSeq) status.classList.remove("busy");
  }
}

async function onPlot(e) {
  e.preventDefault();
  try { await plotNow(); } catch (err) { showError(err); $("plot-status").classList.remove("busy"); }
}

// ---- start -----------------------------------------------------------------------------------
async function start() {
  $("search").addEventListener("input", onType);
  $("search").addEventListener("keydown", onSearchKey);
  $("search").addEventListener("blur", () => setTimeout(hideSuggest, 150));
  $("search-form").addEventListener("submit", (e) => e.preventDefault());
  $("topn").addEventListener("change", () => { if (state.word) choose(state.word, { plot: false }); });
  $("analogy-form").addEventListener("submit", onAnalogy);
  $("plot-form").addEventListener("submit", onPlot);
  try {
    state.info = await api("/api/info");
    const i = state.info;
    $("model-info").textContent = `${i.name}: ${i.words.toLocaleString("en")} words × ${i.dims} dimensions`;
    $("topn").max = String(i.max_topn);
    $("plot-n").max = String(i.max_points - 1);
    for (const opt of $("plot-method").options) {
      if (!i.methods[opt.value]) { opt.disabled = true; opt.textContent += " (not installed)"; }
    }
    document.body.dataset.ready = "1";
  } catch (err) {
    showError(err);
  }
  const fromHash = decodeURIComponent(location.hash.replace(/^#/, ""));
  if (fromHash) choose(fromHash);
  else if (state.info && state.info.opening) await showOpening(state.info.opening);
}

// the page opens on a picture: the most frequent words, projected when the server started
async function showOpening(opening) {
  const seq = ++state.plotSeq;
  try {
    const data = await api("/api/projection", { top: opening.top, method: opening.method, dims: opening.dims });
    if (seq !== state.plotSeq) return; // the user asked for another picture meanwhile
    scatter.setData(data.words, data.coords, data.dims, null);
    $("plot-status").textContent = `The ${data.words.length} most frequent words, ${METHOD_NAMES[data.method]} ${data.dims}-D. Search for a word to see its neighbourhood; click a point for its neighbours; drag to pan, wheel to zoom.`;
  } catch (err) {
    showError(err);
  }
}

start();
