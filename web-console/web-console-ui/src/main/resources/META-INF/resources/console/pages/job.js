// One job: its status and reason, progress bar with ETA, loss chart, log (tail and follow), timeline, spec, and
// Cancel. Progress events move the bar and extend the chart in place; any other change of the job reads it again.

import {ApiError, api} from '../api.js';
import {ask, h, toast} from '../dom.js';
import {lossChart} from '../chart.js';
import {TERMINAL, dateTime, duration, loss, number, percent, relative, statusBadge} from '../format.js';

const LOG_TAIL = 500;
/** The log panel keeps the end of a followed log, not all of it. */
const LOG_MAX_CHARS = 512 * 1024;

function progressValue(task) {
  if (task.status === 'SUCCEEDED') return 100;
  const p = task.progress;
  if (!p) return 0;
  if (p.percent !== undefined && p.percent !== null) return Math.max(0, Math.min(100, p.percent));
  if (p.step && p.totalSteps) return Math.min(100, (100 * p.step) / p.totalSteps);
  return 0;
}

function transition(t) {
  return h('li', {'data-to': t.to},
    h('div', {class: 'when'}, h('time', {datetime: t.at, title: t.at}, dateTime(t.at)), ' · ', relative(t.at)),
    h('div', {class: 'what'}, t.from ? [statusBadge(t.from), h('span', {'aria-label': 'to'}, '→')] : null, statusBadge(t.to),
      t.attempt ? h('span', {class: 'tag'}, `attempt ${t.attempt + 1}`) : null),
    t.reason ? h('div', {class: 'why'}, t.reason) : null,
    t.node ? h('div', {class: 'muted small'}, 'node ', h('code', {}, t.node)) : null);
}

function entries(map) {
  const list = Object.entries(map || {});
  return list.length ? list.map(([k, v]) => h('span', {class: 'tag mono'}, `${k}=${v}`)) : h('span', {class: 'muted'}, 'none');
}

/** A job's secret environment: the variable and the secret it comes from; the API never has the value to show. */
function secretEntries(map) {
  const list = Object.entries(map || {});
  return list.length
    ? list.map(([k, v]) => h('span', {class: 'tag mono', title: `${k} is set from the secret ${v}; its value is never shown`}, `${k}=•••• (secret:${v})`))
    : h('span', {class: 'muted'}, 'none');
}

function specList(spec) {
  const rows = [];
  const add = (label, value) => rows.push(h('dt', {}, label), h('dd', {}, value));
  if (spec.command) {
    // As a shell would take it: an argument with spaces or shell characters in single quotes.
    const quoted = spec.command.map(a => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
    add('Command', h('code', {}, quoted.join(' ')));
  } else {
    add('Model', h('code', {}, spec.model));
    add('Datasets', (spec.datasets || []).map(d => h('div', {}, h('code', {}, d))));
    add('Train type', spec.trainType);
    add('Hyper-parameters', entries(spec.hyperparameters));
  }
  const r = spec.resources || {};
  add('Resources', `${r.gpus} GPU${r.gpus === 1 ? '' : 's'}${r.gpuModel ? ` · model ${r.gpuModel}` : ''}${r.minGpuMemoryGiB ? ` · ≥ ${r.minGpuMemoryGiB} GiB each` : ''}`);
  add('Priority', number(spec.priority));
  add('Max retries', number(spec.maxRetries));
  add('Labels', entries(spec.labels));
  add('Environment', entries(spec.env));
  add('Secret environment', secretEntries(spec.secretEnv));
  return h('dl', {class: 'kv'}, rows);
}

export function mount(root, {args, live}) {
  const id = args[0];
  let disposed = false;
  let task = null;
  let points = [];
  let attempt = null;
  let follow = null;

  const head = h('div', {});
  const reasonBox = h('div', {});
  const bar = h('div', {class: 'bar big', id: 'job-progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0, 'aria-label': 'Training progress'},
    h('span', {style: {width: '0%'}}));
  const facts = h('div', {class: 'progress-facts', id: 'progress-facts'});
  const chartBox = h('div', {id: 'loss-chart'});
  const details = h('div', {});
  const timeline = h('ol', {class: 'timeline', id: 'timeline'});
  const spec = h('div', {});
  const logStatus = h('p', {class: 'log-status', role: 'status', id: 'log-status'});
  const logPre = h('pre', {class: 'log', tabindex: 0, 'aria-label': 'Job log', id: 'job-log'});
  const tailButton = h('button', {type: 'button', class: 'small', onclick: () => tail()}, 'Reload tail');
  const followButton = h('button', {type: 'button', class: 'small', 'aria-pressed': 'false', onclick: () => (follow ? stopFollow() : startFollow())}, 'Follow');
  const message = h('div', {});

  root.append(
    h('nav', {class: 'breadcrumbs', 'aria-label': 'Breadcrumbs'}, h('a', {href: '#/jobs'}, 'Jobs'), ' / ', id),
    head, message, reasonBox,
    h('div', {class: 'grid grid-main'},
      h('div', {class: 'grid', style: {marginBottom: 0}},
        h('section', {class: 'card', 'aria-labelledby': 'progress-title'},
          h('h2', {id: 'progress-title'}, 'Progress'),
          h('div', {class: 'progress-block'}, bar, facts)),
        h('section', {class: 'card', 'aria-labelledby': 'loss-title'},
          h('div', {class: 'card-head'}, h('h2', {id: 'loss-title'}, 'Loss'), h('span', {class: 'muted small'}, 'from the progress records this server has seen')),
          chartBox),
        h('section', {class: 'card', 'aria-labelledby': 'log-title'},
          h('div', {class: 'card-head'}, h('h2', {id: 'log-title'}, 'Log'), h('div', {class: 'actions'}, tailButton, followButton)),
          logStatus, logPre)),
      h('div', {class: 'grid', style: {marginBottom: 0}},
        h('section', {class: 'card', 'aria-labelledby': 'details-title'}, h('h2', {id: 'details-title'}, 'Details'), details),
        h('section', {class: 'card', 'aria-labelledby': 'timeline-title'}, h('h2', {id: 'timeline-title'}, 'Timeline'), timeline),
        h('section', {class: 'card', 'aria-labelledby': 'spec-title'}, h('h2', {id: 'spec-title'}, 'Spec'), spec))));

  function renderHead() {
    const cancellable = !TERMINAL.has(task.status);
    head.replaceChildren(h('div', {class: 'page-head'},
      h('div', {},
        h('h1', {}, task.spec.name, h('span', {id: 'job-status'}, statusBadge(task.status, true))),
        h('p', {class: 'subtitle mono'}, task.id)),
      h('div', {class: 'actions'}, cancellable ? h('button', {type: 'button', class: 'danger', id: 'cancel-job', 'data-needs': 'submitter', onclick: cancel}, 'Cancel job') : null)));
    document.title = `${task.spec.name} · Gantry`;
    reasonBox.replaceChildren(task.reason ? h('p', {class: task.status === 'FAILED' ? 'error-box' : 'notice', id: 'job-reason'},
      task.status === 'PENDING' ? 'Waiting: ' : task.status === 'FAILED' ? 'Failed: ' : task.status === 'CANCELLED' ? 'Cancelled: ' : '', task.reason) : '');
  }

  function renderProgress() {
    const value = progressValue(task);
    const p = task.progress || {};
    bar.setAttribute('aria-valuenow', String(Math.round(value * 10) / 10));
    bar.setAttribute('aria-valuetext', `${percent(value)}${p.step ? `, step ${p.step} of ${p.totalSteps ?? '?'}` : ''}`);
    bar.className = `bar big${task.status === 'SUCCEEDED' ? ' ok' : task.status === 'FAILED' ? ' hot' : ''}`;
    bar.firstChild.style.width = `${value}%`;
    const eta = task.status === 'RUNNING' && p.etaSeconds !== undefined && p.etaSeconds !== null ? duration(p.etaSeconds) : null;
    facts.replaceChildren(...[
      h('span', {}, h('b', {id: 'progress-percent'}, percent(value))),
      p.step !== undefined ? h('span', {}, 'Step ', h('b', {}, number(p.step)), p.totalSteps ? [' of ', h('b', {}, number(p.totalSteps))] : '') : null,
      p.loss !== undefined ? h('span', {}, 'Loss ', h('b', {}, loss(p.loss))) : null,
      eta ? h('span', {}, 'ETA ', h('b', {id: 'progress-eta'}, eta)) : null,
      p.updatedAt ? h('span', {class: 'muted'}, 'reported ', relative(p.updatedAt)) : null,
      !task.progress && task.status !== 'SUCCEEDED' ? h('span', {class: 'muted'}, task.status === 'RUNNING' ? 'No progress reported yet.' : 'Progress is reported once the job runs.') : null,
    ].filter(Boolean));
  }

  function renderChart() {
    chartBox.replaceChildren(lossChart(points));
  }

  function renderDetails() {
    const t = task;
    const runEnd = t.finishedAt ? Date.parse(t.finishedAt) : Date.now();
    const rows = [
      ['Status', statusBadge(t.status)],
      ['Node', t.node ? h('a', {href: `#/nodes?q=${encodeURIComponent(t.node)}`, class: 'mono'}, t.node) : h('span', {class: 'muted'}, 'not placed')],
      ['GPUs', t.gpus && t.gpus.length ? t.gpus.map(g => h('span', {class: 'tag mono'}, g)) : h('span', {class: 'muted'}, `none held (asks for ${t.spec.resources?.gpus ?? 0})`)],
      ['Attempt', `${t.attempt + 1} of ${(t.spec.maxRetries ?? 3) + 1}`],
      ['Submitted', [dateTime(t.createdAt), ' (', relative(t.createdAt), ')']],
      t.submittedBy ? ['Submitted by', t.submittedBy] : null,
      t.scheduledAt ? ['Scheduled', dateTime(t.scheduledAt)] : null,
      t.startedAt ? ['Started', dateTime(t.startedAt)] : null,
      t.finishedAt ? ['Finished', dateTime(t.finishedAt)] : null,
      t.startedAt ? ['Run time', duration((runEnd - Date.parse(t.startedAt)) / 1000)] : null,
      t.exitCode !== undefined ? ['Exit code', String(t.exitCode)] : null,
    ].filter(Boolean);
    details.replaceChildren(h('dl', {class: 'kv', id: 'job-details'}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    timeline.replaceChildren(...t.timeline.map(transition));
    const open = spec.querySelector('details')?.open;
    spec.replaceChildren(specList(t.spec),
      h('details', {style: {marginTop: '12px'}, open}, h('summary', {}, 'The task as stored (JSON)'),
        h('pre', {class: 'config-value'}, JSON.stringify(t, null, 2))));
  }

  function render() {
    renderHead();
    renderProgress();
    renderDetails();
  }

  async function loadCurve() {
    try {
      const curve = await api.get(`/jobs/${encodeURIComponent(id)}/progress`);
      points = curve.points;
      attempt = curve.attempt;
    } catch {
      points = [];
    }
    if (task && task.progress && task.attempt === attempt) addPoint(task.progress);
    if (!disposed) renderChart();
  }

  async function load() {
    try {
      const fresh = await api.get(`/jobs/${encodeURIComponent(id)}`);
      if (disposed) return;
      const attemptChanged = task && task.attempt !== fresh.attempt;
      task = fresh;
      message.replaceChildren();
      render();
      if (attemptChanged) loadCurve();
    } catch (e) {
      if (disposed) return;
      message.replaceChildren(h('p', {class: 'error-box', role: 'alert'}, e.status === 404 ? `There is no job ${id}.` : `Could not read the job: ${e.message}`));
    }
  }

  /** Appends a progress record to the chart if it is newer than the last point. */
  function addPoint(progress) {
    if (progress.step === undefined || progress.loss === undefined) return false;
    const last = points[points.length - 1];
    if (last && last.step >= progress.step) return false;
    points.push({step: progress.step, loss: progress.loss, percent: progress.percent, at: progress.updatedAt});
    return true;
  }

  async function cancel() {
    const answer = await ask({
      title: `Cancel ${task.spec.name}?`,
      text: task.status === 'PENDING' ? 'It has not started; it will not be placed.' : `Its process on ${task.node} is stopped.`,
      fields: [{name: 'reason', label: 'Reason (optional)', placeholder: 'e.g. wrong dataset'}],
      confirm: 'Cancel job', danger: true, cancel: 'Keep it',
    });
    if (!answer) return;
    try {
      task = await api.post(`/jobs/${encodeURIComponent(id)}/cancel`, answer.reason ? {reason: answer.reason} : undefined);
      render();
      toast(`${task.spec.name} cancelled.`);
    } catch (e) {
      toast(`Not cancelled: ${e.message}`);
      load();
    }
  }

  // ---- log: GET /api/v1/jobs/{id}/logs?tail=N (text/plain) and ?follow=true (a chunked text/plain stream) ----

  /** 404 (the job has not run) or 503 (its node's agent is gone or serves no logs): the API's answer says which. */
  async function unavailable(response) {
    const answer = await response.json().catch(() => null);
    logStatus.replaceChildren(h('b', {}, 'Log not available.'), ' ', h('span', {class: 'muted'}, answer && answer.error
      ? `${answer.error.charAt(0).toUpperCase()}${answer.error.slice(1)}.`
      : response.status === 503 ? 'The agent of the job\'s node does not answer.' : 'The job has no log yet.'));
    logPre.textContent = '';
    logPre.hidden = true;
  }

  async function tail() {
    stopFollow();
    logStatus.textContent = 'Reading the log…';
    try {
      const response = await fetch(`/api/v1/jobs/${encodeURIComponent(id)}/logs?tail=${LOG_TAIL}`, {headers: {Accept: 'text/plain'}});
      if (disposed) return;
      if (response.status === 404 || response.status === 503) return unavailable(response);
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      logPre.textContent = await response.text();
      logPre.hidden = false;
      logStatus.textContent = logPre.textContent ? `The last ${LOG_TAIL} lines at most.` : 'The log is empty.';
      logPre.scrollTop = logPre.scrollHeight;
    } catch (e) {
      if (!disposed) logStatus.textContent = `Could not read the log: ${e.message}`;
    }
  }

  async function startFollow() {
    stopFollow();
    const controller = new AbortController();
    follow = controller;
    followButton.setAttribute('aria-pressed', 'true');
    logStatus.textContent = 'Connecting to the log…';
    try {
      const response = await fetch(`/api/v1/jobs/${encodeURIComponent(id)}/logs?follow=true&tail=${LOG_TAIL}`,
        {headers: {Accept: 'text/plain'}, signal: controller.signal});
      if (response.status === 404 || response.status === 503) {
        stopFollow();
        return unavailable(response);
      }
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      logPre.textContent = '';
      logPre.hidden = false;
      logStatus.textContent = 'Following the log as it is written…';
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        const atBottom = logPre.scrollTop + logPre.clientHeight >= logPre.scrollHeight - 8;
        let text = logPre.textContent + decoder.decode(value, {stream: true});
        if (text.length > LOG_MAX_CHARS) text = text.slice(text.length - LOG_MAX_CHARS);
        logPre.textContent = text;
        if (atBottom) logPre.scrollTop = logPre.scrollHeight;
      }
      if (follow === controller) logStatus.textContent = 'The log stream ended (the job finished, or its agent closed it).';
    } catch (e) {
      if (e.name !== 'AbortError' && !disposed) logStatus.textContent = `The log stream broke: ${e.message}`;
    } finally {
      if (follow === controller) {
        follow = null;
        followButton.setAttribute('aria-pressed', 'false');
      }
    }
  }

  function stopFollow() {
    if (follow) {
      const controller = follow;
      follow = null;
      controller.abort();
      followButton.setAttribute('aria-pressed', 'false');
      logStatus.textContent = 'Stopped following.';
    }
  }

  head.append(h('p', {class: 'loading'}, 'Loading the job…'));
  load().then(() => {
    loadCurve();
    performance.mark('gantry:job-rendered');
  });
  tail();

  return {
    dispose() {
      disposed = true;
      stopFollow();
    },
    onEvent(event) {
      if (event.type === 'resync') {
        load();
        loadCurve();
        return;
      }
      if (event.type !== 'job' || event.id !== id || !task) return;
      if (event.kind === 'progress' && event.attempt === task.attempt) {
        task = {...task, progress: event.progress, status: event.status};
        renderProgress();
        if (addPoint(event.progress)) renderChart();
      } else {
        load();
      }
    },
  };
}
