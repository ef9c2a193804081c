/* Hubbub's tiny time-series chart: lines on a <canvas>, no library, no build step.
 *
 *   const chart = new HubbubChart(canvas, { windowMs: 120000, format: (v) => v.toFixed(1) });
 *   chart.set([{ name: "sent", color: "var(--c1)", points: [[timeMs, value], ...] }, ...]);
 *
 * The last windowMs of each series (at least minWindowMs, or as much as there is) is drawn against
 * the wall clock, with a light area under each
 * line, four grid lines with values, and the time axis in seconds ago. It redraws on resize and
 * when the colour scheme changes; colours may be CSS variables. */
(() => {
  "use strict";

  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function resolve(color) {
    const m = /^var\((--[\w-]+)\)$/.exec(color || "");
    return m ? css(m[1]) || "#888" : color || "#888";
  }

  // A "nice" upper bound for the axis: four steps of 1, 2, 2.5 or 5 times a power of ten.
  function niceMax(v) {
    if (!(v > 0)) return 4;
    const raw = v / 4;
    const p = 10 ** Math.floor(Math.log10(raw));
    for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * p) return 4 * m * p;
    return 40 * p;
  }

  function defaultFormat(v) {
    if (v >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
    if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
    if (v === 0 || v >= 10) return String(Math.round(v));
    return v.toFixed(v >= 1 ? 1 : 2);
  }

  class HubbubChart {
    constructor(canvas, opts = {}) {
      this.canvas = canvas;
      this.maxWindowMs = opts.windowMs || 120000;
      // a young history is spread over at least minWindowMs rather than squeezed to the right
      this.minWindowMs = Math.min(opts.minWindowMs || this.maxWindowMs, this.maxWindowMs);
      this.windowMs = this.maxWindowMs;
      this.format = opts.format || defaultFormat;
      this.minMax = opts.minMax || 1;
      this.series = [];
      const redraw = () => this.draw();
      if (window.ResizeObserver) new ResizeObserver(redraw).observe(canvas);
      if (window.matchMedia) window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
    }

    set(series) {
      this.series = series;
      this.draw();
    }

    draw() {
      const c = this.canvas;
      const dpr = window.devicePixelRatio || 1;
      const w = c.clientWidth;
      const h = c.clientHeight;
      if (!w || !h) return;
      if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
        c.width = Math.round(w * dpr);
        c.height = Math.round(h * dpr);
      }
      const g = c.getContext("2d");
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, w, h);

      const now = Date.now();
      let first = now;
      for (const s of this.series) if (s.points.length && s.points[0][0] < first) first = s.points[0][0];
      this.windowMs = Math.min(this.maxWindowMs, Math.max(this.minWindowMs, Math.ceil((now - first) / 15000) * 15000));
      const t0 = now - this.windowMs;
      let max = 0;
      for (const s of this.series) for (const [t, v] of s.points) if (t >= t0 && v > max) max = v;
      const top = niceMax(Math.max(max, this.minMax));

      g.font = `11px ${getComputedStyle(c).fontFamily}`;
      const labelW = Math.max(...[0, 0.25, 0.5, 0.75, 1].map((f) => g.measureText(this.format(top * f)).width)) + 10;
      const left = Math.ceil(labelW);
      const right = 6;
      const topPad = 8;
      const bottom = 20;
      const pw = w - left - right;
      const ph = h - topPad - bottom;
      const x = (t) => left + ((t - t0) / this.windowMs) * pw;
      const y = (v) => topPad + ph - (v / top) * ph;

      // grid and value labels
      const muted = css("--muted") || "#888";
      const border = css("--border") || "#ddd";
      g.lineWidth = 1;
      g.textBaseline = "middle";
      g.textAlign = "right";
      for (let i = 0; i <= 4; i++) {
        const v = (top * i) / 4;
        const yy = Math.round(y(v)) + 0.5;
        g.strokeStyle = border;
        g.setLineDash(i === 0 ? [] : [3, 4]);
        g.beginPath();
        g.moveTo(left, yy);
        g.lineTo(w - right, yy);
        g.stroke();
        g.fillStyle = muted;
        g.fillText(this.format(v), left - 6, yy);
      }
      g.setLineDash([]);
      // time labels: seconds ago
      g.textAlign = "center";
      g.textBaseline = "alphabetic";
      const stepS = this.windowMs >= 240000 ? 60 : this.windowMs > 60000 ? 30 : this.windowMs > 30000 ? 15 : 10;
      for (let s = 0; s * 1000 <= this.windowMs; s += stepS) {
        const xx = x(now - s * 1000);
        g.fillText(s === 0 ? "now" : `-${s}s`, Math.min(Math.max(xx, left + 12), w - right - 12), h - 5);
      }

      // series
      g.save();
      g.beginPath();
      g.rect(left, topPad - 2, pw, ph + 4);
      g.clip();
      for (const s of this.series) {
        const pts = s.points.filter(([t]) => t >= t0 - 5000);
        if (!pts.length) continue;
        const color = resolve(s.color);
        g.beginPath();
        pts.forEach(([t, v], i) => (i ? g.lineTo(x(t), y(v)) : g.moveTo(x(t), y(v))));
        g.strokeStyle = color;
        g.lineWidth = 2;
        g.lineJoin = "round";
        g.stroke();
        g.lineTo(x(pts[pts.length - 1][0]), y(0));
        g.lineTo(x(pts[0][0]), y(0));
        g.closePath();
        g.globalAlpha = 0.08;
        g.fillStyle = color;
        g.fill();
        g.globalAlpha = 1;
        const [lt, lv] = pts[pts.length - 1];
        g.beginPath();
        g.arc(x(lt), y(lv), 3, 0, Math.PI * 2);
        g.fill();
      }
      g.restore();
    }
  }

  window.HubbubChart = HubbubChart;
})();
