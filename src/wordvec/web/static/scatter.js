// A canvas scatter plot of labelled points in 2-D or 3-D, with no library.
//
// 2-D: drag pans, wheel zooms. 3-D: drag rotates (yaw about the vertical axis, pitch about the
// horizontal one), wheel zooms, perspective divides by depth. A click on a point calls
// onPick(word). Labels are placed greedily in priority order (selected, centre, hovered, then
// the order given): each tries four spots around its point and is skipped if all overlap a label
// already drawn, so dense regions stay readable instead of turning into mush. Arrows between
// words (an analogy's a -> b and c -> answer) are drawn over the points, under the labels.

const RIGHT = 0, LEFT = 1, ABOVE = 2, BELOW = 3;
const CELL = 48; // px, side of the grid cells used to find overlapping label boxes quickly
const ARROW_COLOURS = ["#2a9d8f", "#e76f51", "#8e5ad1", "#d4a017"];

export class Scatter {
  constructor(canvas, { onPick = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.onPick = onPick;
    this.words = [];
    this.pts = []; // normalised coordinates in [-1, 1], [x, y, z]
    this.dims = 2;
    this.centre = null;
    this.selected = null;
    this.hover = -1;
    this.screen = []; // [sx, sy, depth] per point, from the last draw
    this.index = new Map(); // word -> point
    this.arrows = []; // [from, to] word pairs
    this.resetView();
    this._drag = null;
    canvas.addEventListener("pointerdown", (e) => this._down(e));
    canvas.addEventListener("pointermove", (e) => this._move(e));
    canvas.addEventListener("pointerup", (e) => this._up(e));
    canvas.addEventListener("pointerleave", () => { if (!this._drag) this._setHover(-1); });
    canvas.addEventListener("wheel", (e) => this._wheel(e), { passive: false });
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  resetView() {
    this.zoom = 1; this.panX = 0; this.panY = 0; this.yaw = 0.6; this.pitch = 0.35;
  }

  /** words: string[]; coords: number[][] (2 or 3 per word); centre: a word to mark, or null;
   *  arrows: [from, to] word pairs drawn as arrows (an analogy: a -> b and c -> answer). */
  setData(words, coords, dims, centre = null, arrows = []) {
    this.words = words;
    this.dims = dims;
    this.centre = centre;
    this.arrows = arrows;
    this.selected = centre;
    this.hover = -1;
    const n = coords.length;
    const mean = [0, 0, 0];
    for (const p of coords) for (let k = 0; k < dims; k++) mean[k] += p[k] / n;
    let scale = 1e-12;
    for (const p of coords) for (let k = 0; k < dims; k++) scale = Math.max(scale, Math.abs(p[k] - mean[k]));
    this.pts = coords.map((p) => [0, 1, 2].map((k) => (k < dims ? (p[k] - mean[k]) / scale : 0)));
    this.index = new Map(words.map((w, i) => [w, i]));
    this.resetView();
    this.draw();
  }

  select(word) {
    this.selected = word;
    this.draw();
  }

  /** Screen position (CSS pixels, relative to the canvas) of a word, or null. */
  positionOf(word) {
    const i = this.index ? this.index.get(word) : undefined;
    if (i === undefined || !this.screen[i]) return null;
    return { x: this.screen[i][0], y: this.screen[i][1] };
  }

  _project(p, w, h) {
    let [x, y, z] = p;
    let depth = 0, persp = 1;
    if (this.dims === 3) {
      const cy = Math.cos(this.yaw), sy = Math.sin(this.yaw);
      const cp = Math.cos(this.pitch), sp = Math.sin(this.pitch);
      const x1 = cy * x + sy * z, z1 = -sy * x + cy * z; // yaw about the vertical axis
      const y2 = cp * y - sp * z1, z2 = sp * y + cp * z1; // pitch about the horizontal axis
      x = x1; y = y2; depth = z2;
      persp = 3.2 / (3.2 + depth); // camera 3.2 units in front of the origin
    }
    const s = 0.44 * Math.min(w, h) * this.zoom * persp;
    return [w / 2 + this.panX + x * s, h / 2 + this.panY - y * s, depth, persp];
  }

  draw() {
    const canvas = this.canvas, ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (!w || !h) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w, h);
    if (this.dims === 3) this._drawAxes(w, h);
    const n = this.pts.length;
    this.screen = this.pts.map((p) => this._project(p, w, h));
    // far points first, so near ones are drawn over them
    const order = [...Array(n).keys()];
    if (this.dims === 3) order.sort((a, b) => this.screen[b][2] - this.screen[a][2]);
    const sel = this.selected, centre = this.centre;
    const r = n > 1500 ? 2 : n > 300 ? 3 : 4;
    for (const i of order) {
      const [x, y, depth, persp] = this.screen[i];
      const word = this.words[i];
      const hot = word === sel || word === centre;
      ctx.globalAlpha = this.dims === 3 ? Math.max(0.35, Math.min(1, 0.75 - 0.3 * depth)) : 0.85;
      ctx.fillStyle = hot ? "#d1495b" : i === this.hover ? "#e08e0b" : "#3b6ea8";
      ctx.beginPath();
      ctx.arc(x, y, (hot ? 2 * r : r) * persp, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    this._drawArrows();
    this._drawLabels(w, h, r);
    canvas.dataset.points = String(n);
    canvas.dataset.arrows = String(this.arrows.length);
    canvas.dataset.ready = "1";
  }

  _drawArrows() {
    const ctx = this.ctx;
    this.arrows.forEach(([from, to], k) => {
      const i = this.index.get(from), j = this.index.get(to);
      if (i === undefined || j === undefined) return;
      const [x0, y0] = this.screen[i], [x1, y1] = this.screen[j];
      const len = Math.hypot(x1 - x0, y1 - y0);
      if (len < 1) return;
      const ux = (x1 - x0) / len, uy = (y1 - y0) / len;
      // stop short of both points, so the dots stay visible
      const ax = x0 + 7 * ux, ay = y0 + 7 * uy, bx = x1 - 7 * ux, by = y1 - 7 * uy;
      ctx.strokeStyle = ctx.fillStyle = ARROW_COLOURS[k % ARROW_COLOURS.length];
      ctx.lineWidth = 2.2;
      ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
      ctx.beginPath(); // the head: a triangle 12 px long at the "to" end
      ctx.moveTo(bx, by);
      ctx.lineTo(bx - 12 * ux + 5 * uy, by - 12 * uy - 5 * ux);
      ctx.lineTo(bx - 12 * ux - 5 * uy, by - 12 * uy + 5 * ux);
      ctx.closePath(); ctx.fill();
    });
  }

  _drawAxes(w, h) {
    const ctx = this.ctx;
    const axes = [[[1, 0, 0], "x"], [[0, 1, 0], "y"], [[0, 0, 1], "z"]];
    const o = this._project([0, 0, 0], w, h);
    ctx.lineWidth = 1;
    ctx.font = "11px system-ui, sans-serif";
    for (const [v, name] of axes) {
      const a = this._project(v.map((c) => -c), w, h), b = this._project(v, w, h);
      ctx.strokeStyle = "#e3e6ec";
      ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
      ctx.fillStyle = "#a0a7b5";
      ctx.fillText(name, b[0] + 3, b[1] - 3);
    }
    ctx.fillStyle = "#c5cad4";
    ctx.fillRect(o[0] - 1, o[1] - 1, 2, 2);
  }

  _drawLabels(w, h, r) {
    const ctx = this.ctx;
    const n = this.words.length;
    const grid = new Map(); // cell -> boxes, so each test looks at a few boxes, not all
    const fits = (box, own) => {
      if (box[0] < 0 || box[1] < 0 || box[2] > w || box[3] > h) return false;
      for (let gx = Math.floor(box[0] / CELL); gx <= Math.floor(box[2] / CELL); gx++) {
        for (let gy = Math.floor(box[1] / CELL); gy <= Math.floor(box[3] / CELL); gy++) {
          for (const o of grid.get(gx * 100003 + gy) || []) {
            if (o !== own && o[0] < box[2] && box[0] < o[2] && o[1] < box[3] && box[1] < o[3]) return false;
          }
        }
      }
      return true;
    };
    const claim = (box) => {
      for (let gx = Math.floor(box[0] / CELL); gx <= Math.floor(box[2] / CELL); gx++) {
        for (let gy = Math.floor(box[1] / CELL); gy <= Math.floor(box[3] / CELL); gy++) {
          const k = gx * 100003 + gy;
          if (!grid.has(k)) grid.set(k, []);
          grid.get(k).push(box);
        }
      }
    };
    // every point is an obstacle too, so that labels do not cover other words' points
    const pointBoxes = this.screen.map(([x, y]) => [x - r, y - r, x + r, y + r]);
    for (const box of pointBoxes) claim(box);
    const first = [];
    const sel = this.index.get(this.selected), cen = this.index.get(this.centre);
    for (const i of [sel, cen, this.hover]) if (i !== undefined && i >= 0 && !first.includes(i)) first.push(i);
    const rest = [...Array(n).keys()].filter((i) => !first.includes(i));
    const budget = 600; // labels beyond this many would be unreadable anyway
    let drawn = 0;
    for (const i of [...first, ...rest]) {
      if (drawn >= budget) break;
      const [x, y] = this.screen[i];
      const important = first.includes(i);
      ctx.font = important ? "600 13px system-ui, sans-serif" : "12px system-ui, sans-serif";
      const tw = ctx.measureText(this.words[i]).width, th = important ? 15 : 13;
      const gap = r + 3;
      for (const side of [RIGHT, LEFT, ABOVE, BELOW]) {
        const x0 = side === RIGHT ? x + gap : side === LEFT ? x - gap - tw : x - tw / 2;
        const y0 = side === ABOVE ? y - gap - th : side === BELOW ? y + gap : y - th / 2;
        const box = [x0, y0, x0 + tw, y0 + th];
        if (important || fits(box, pointBoxes[i])) {
          claim(box);
          if (important) { // a white halo keeps the chosen words legible over points
            ctx.fillStyle = "rgba(255,255,255,0.85)";
            ctx.fillRect(x0 - 2, y0, tw + 4, th);
          }
          ctx.fillStyle = i === sel || i === cen ? "#d1495b" : i === this.hover ? "#a4610a" : "#1d2330";
          ctx.textBaseline = "top";
          ctx.fillText(this.words[i], x0, y0 + 1);
          drawn++;
          break;
        }
      }
    }
    this.canvas.dataset.labels = String(drawn);
  }

  _nearest(e) {
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    let best = -1, bestD = 12 * 12; // within 12 px
    for (let i = 0; i < this.screen.length; i++) {
      const dx = this.screen[i][0] - x, dy = this.screen[i][1] - y;
      const d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  _setHover(i) {
    if (i !== this.hover) { this.hover = i; this.draw(); }
    this.canvas.title = i >= 0 ? this.words[i] : "";
  }

  _down(e) {
    this.canvas.setPointerCapture(e.pointerId);
    this._drag = { x: e.clientX, y: e.clientY, moved: 0 };
  }

  _move(e) {
    if (!this._drag) { this._setHover(this._nearest(e)); return; }
    const dx = e.clientX - this._drag.x, dy = e.clientY - this._drag.y;
    this._drag.x = e.clientX; this._drag.y = e.clientY;
    this._drag.moved += Math.abs(dx) + Math.abs(dy);
    if (this.dims === 3) {
      this.yaw += dx * 0.01;
      this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + dy * 0.01));
    } else {
      this.panX += dx; this.panY += dy;
    }
    this.draw();
  }

  _up(e) {
    const drag = this._drag;
    this._drag = null;
    if (drag && drag.moved < 4) {
      const i = this._nearest(e);
      if (i >= 0) { this.select(this.words[i]); this.onPick(this.words[i]); }
    }
  }

  _wheel(e) {
    e.preventDefault();
    this.zoom = Math.max(0.2, Math.min(50, this.zoom * Math.exp(-e.deltaY * 0.0015)));
    this.draw();
  }
}
