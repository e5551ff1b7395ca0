// The equity curve: a plain SVG line chart, written here rather than vendored.
// It draws two series on one time axis (the balance rebuilt from the deals, and
// the equity the agent recorded at each sync) with a grid and axis labels; a
// chart library would be a second vendored dependency to keep current for
// what is about a hundred lines.
(function (ns) {
  "use strict";

  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 880;
  const HEIGHT = 280;
  const PAD = { top: 16, right: 16, bottom: 28, left: 76 };
  const MAX_POINTS = 1500;

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Keep the shape of a long series with at most MAX_POINTS points (first and last kept).
  function thin(points) {
    if (points.length <= MAX_POINTS) return points;
    const step = points.length / MAX_POINTS;
    const out = [];
    for (let i = 0; i < MAX_POINTS - 1; i++) out.push(points[Math.floor(i * step)]);
    out.push(points[points.length - 1]);
    return out;
  }

  // Round tick values (1, 2, 2.5, 5 x 10^n) covering [lo, hi].
  function ticks(lo, hi, count) {
    const span = hi - lo || Math.abs(hi) || 1;
    const raw = span / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const out = [];
    for (let v = Math.floor(lo / step) * step; v <= hi + step / 2; v += step) out.push(v);
    return out;
  }

  function compact(value, currency) {
    return new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 })
      .format(value) + (currency ? ` ${currency}` : "");
  }

  // series: [{name, className, points: [{t: ms, v: number}], step: bool}]
  function equityChart(series, currency) {
    const drawn = series.filter((s) => s.points.length > 0)
      .map((s) => ({ ...s, total: s.points.length, points: thin(s.points) }));
    const all = drawn.flatMap((s) => s.points);
    if (all.length < 2) return null;
    const figure = svg("svg", {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart", role: "img",
      "aria-label": "Equity curve",
    });
    const tMin = Math.min(...all.map((p) => p.t));
    const tMax = Math.max(...all.map((p) => p.t));
    const yTicks = ticks(Math.min(...all.map((p) => p.v)), Math.max(...all.map((p) => p.v)), 4);
    const vMin = yTicks[0];
    const vMax = yTicks[yTicks.length - 1];
    const x = (t) => PAD.left + (tMax === tMin ? 0.5 : (t - tMin) / (tMax - tMin)) *
      (WIDTH - PAD.left - PAD.right);
    const y = (v) => HEIGHT - PAD.bottom - (vMax === vMin ? 0.5 : (v - vMin) / (vMax - vMin)) *
      (HEIGHT - PAD.top - PAD.bottom);

    const grid = svg("g", { class: "grid" });
    for (const v of yTicks) {
      grid.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v) }));
      grid.append(svg("text", { x: PAD.left - 8, y: y(v) + 4, "text-anchor": "end" },
        compact(v, currency)));
    }
    const xCount = 6;
    for (let i = 0; i <= xCount; i++) {
      const t = tMin + (i / xCount) * (tMax - tMin);
      grid.append(svg("text", {
        x: x(t), y: HEIGHT - 8,
        "text-anchor": i === 0 ? "start" : i === xCount ? "end" : "middle",
      }, ns.format.shortDate(t)));
    }
    figure.append(grid);

    for (const s of drawn) {
      let path = "";
      s.points.forEach((p, i) => {
        if (i === 0) path += `M${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
        else if (s.step) path += `H${x(p.t).toFixed(1)}V${y(p.v).toFixed(1)}`;
        else path += `L${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
      });
      if (s.fill) {
        const last = s.points[s.points.length - 1];
        const area = `${path}H${x(last.t).toFixed(1)}V${y(vMin)}H${x(s.points[0].t).toFixed(1)}Z`;
        figure.append(svg("path", { d: area, class: `area ${s.className}` }));
      }
      const line = svg("path", { d: path, class: `line ${s.className}` });
      const last = s.points[s.points.length - 1];
      line.append(svg("title", {}, `${s.name}: ${s.total} points, the last ` +
        `${ns.format.money(last.v, currency)} on ${ns.format.dateTime(last.t)}`));
      figure.append(line);
      if (s.points.length <= 60) {
        for (const p of s.points) {
          figure.append(svg("circle",
            { cx: x(p.t), cy: y(p.v), r: 2.5, class: `dot ${s.className}` }));
        }
      }
    }
    return figure;
  }

  ns.equityChart = equityChart;
})(window.Mt5Dashboard = window.Mt5Dashboard || {});
