// A line chart in inline SVG (no library): the loss curve of a job, step on x, loss on y.

import {h, s} from './dom.js';
import {loss as formatLoss, number} from './format.js';

const W = 640;
const H = 240;
const PAD = {left: 52, right: 16, top: 12, bottom: 32};

/** Round tick values covering [min, max], about `count` of them; whole numbers only when `integer`. */
function ticks(min, max, count, integer = false) {
  if (min === max) {
    const d = Math.abs(min) || 1;
    min -= d / 2;
    max += d / 2;
  }
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map(m => m * magnitude).find(s => s >= raw);
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(min / step) * step;
  const values = [];
  for (let v = first; v <= max + step / 2; v += step) values.push(Number(v.toPrecision(12)));
  return values;
}

/**
 * points: [{step, loss}] in step order. Returns an <svg role="img"> whose label states the curve in words, or a
 * note when there is nothing to draw.
 */
export function lossChart(points) {
  const data = points.filter(p => p.loss !== undefined && p.loss !== null && p.step !== undefined && p.step !== null);
  if (data.length === 0) {
    return h('p', {class: 'notice', 'data-chart': 'empty'}, 'No loss reported yet.');
  }
  const xs = ticks(Math.min(...data.map(p => p.step)), Math.max(...data.map(p => p.step)), 6, true);
  const ys = ticks(Math.min(...data.map(p => p.loss)), Math.max(...data.map(p => p.loss)), 4);
  const [x0, x1] = [xs[0], xs[xs.length - 1]];
  const [y0, y1] = [ys[0], ys[ys.length - 1]];
  const x = v => PAD.left + ((v - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const y = v => H - PAD.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  const line = data.map((p, i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ');
  const area = `${line} L${x(data[data.length - 1].step).toFixed(1)},${y(y0)} L${x(data[0].step).toFixed(1)},${y(y0)} Z`;
  const first = data[0];
  const last = data[data.length - 1];
  const label = `Loss chart: ${data.length} points, loss ${formatLoss(first.loss)} at step ${number(first.step)}`
    + (data.length > 1 ? ` to ${formatLoss(last.loss)} at step ${number(last.step)}` : '');
  return s('svg', {class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, 'data-points': data.length},
    ys.map(v => s('line', {class: 'grid-line', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v)})),
    ys.map(v => s('text', {x: PAD.left - 8, y: y(v) + 4, 'text-anchor': 'end'}, String(Number(v.toPrecision(4))))),
    xs.map(v => s('text', {x: x(v), y: H - PAD.bottom + 18, 'text-anchor': 'middle'}, number(v))),
    s('line', {class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom}),
    s('line', {class: 'axis', x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom}),
    s('text', {x: W - PAD.right, y: H - 4, 'text-anchor': 'end'}, 'step'),
    s('path', {class: 'area', d: area}),
    s('path', {class: 'line', d: line}),
    data.length <= 80 ? data.map(p => s('circle', {class: 'point', cx: x(p.step), cy: y(p.loss), r: 3},
      s('title', {}, `step ${number(p.step)}: loss ${formatLoss(p.loss)}`))) : null);
}
