// How numbers, sizes and times read in the console.

import {h} from './dom.js';

const STATUS_LABELS = {
  PENDING: 'Pending', SCHEDULED: 'Scheduled', RUNNING: 'Running',
  SUCCEEDED: 'Succeeded', FAILED: 'Failed', CANCELLED: 'Cancelled',
};
export const STATUSES = Object.keys(STATUS_LABELS);
export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** 'RUNNING' → 'Running', 'cordoned' → 'Cordoned'. */
export function statusLabel(status) {
  return STATUS_LABELS[status] || (status ? status.charAt(0).toUpperCase() + status.slice(1) : 'Unknown');
}

/** A status pill: colour and dot for the eye, the word for everyone (and for screen readers and tests). */
export function statusBadge(status, big = false) {
  return h('span', {class: big ? 'badge big' : 'badge', 'data-status': status}, statusLabel(status));
}

export function number(n) {
  return n === undefined || n === null ? '—' : Number(n).toLocaleString('en-US');
}

export function mib(n) {
  if (n === undefined || n === null) return '—';
  return n >= 1024 ? `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} GiB` : `${n} MiB`;
}

export function bytes(n) {
  if (n === undefined || n === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

export function percent(p) {
  return p === undefined || p === null ? '—' : `${Math.round(p * 10) / 10}%`;
}

export function loss(x) {
  return x === undefined || x === null ? '—' : Number(x).toPrecision(4);
}

/** 45 s, 12 min, 3 h 05 min, 2 d 4 h. */
export function duration(seconds) {
  if (seconds === undefined || seconds === null || !isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function ago(instant, now = Date.now()) {
  if (!instant) return '—';
  const seconds = (now - Date.parse(instant)) / 1000;
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${Math.floor(seconds)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function dateTime(instant) {
  if (!instant) return '—';
  const d = new Date(instant);
  const pad = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function clock(instant) {
  return instant ? dateTime(instant).slice(11) : '—';
}

/** A <time> that says "3 min ago" and keeps saying the truth: the ticker in main.js refreshes every [data-ago]. */
export function relative(instant) {
  if (!instant) return h('span', {class: 'muted'}, '—');
  return h('time', {datetime: instant, title: dateTime(instant), 'data-ago': instant}, ago(instant));
}

export function refreshRelativeTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('[data-ago]')) el.textContent = ago(el.dataset.ago, now);
}
