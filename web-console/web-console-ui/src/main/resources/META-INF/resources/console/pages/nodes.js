// Nodes: each node with its GPUs (model, memory, utilisation, temperature, power, health), the tasks on it, the
// age of its agent's last report, and cordon, drain and uncordon. Read from /api/v1/nodes; node and job events
// read it again, at most once a second.

import {api} from '../api.js';
import {ask, h, keepFocus, throttle, toast} from '../dom.js';
import {ago, mib, number, relative, statusBadge} from '../format.js';

/** An agent that has not reported for this long is shown as stale (its lease may still be alive). */
const STALE_SECONDS = 60;

function utilisation(gpu) {
  const u = gpu.utilizationPercent;
  if (u === undefined || u === null) return h('span', {class: 'muted'}, '—');
  return h('div', {class: 'gpu-mem'}, `${u}%`,
    h('div', {class: ['bar', u > 90 ? 'hot' : u > 60 ? 'warn' : 'ok'], 'aria-hidden': 'true'}, h('span', {style: {width: `${u}%`}})));
}

function memory(gpu) {
  if (!gpu.memoryTotalMiB) return h('span', {class: 'muted'}, '—');
  const used = gpu.memoryUsedMiB || 0;
  const pct = Math.min(100, (100 * used) / gpu.memoryTotalMiB);
  const text = gpu.memoryTotalMiB >= 1024 ? `${(used / 1024).toFixed(1)} / ${(gpu.memoryTotalMiB / 1024).toFixed(1)} GiB` : `${used} / ${gpu.memoryTotalMiB} MiB`;
  return h('div', {class: 'gpu-mem nowrap'}, text,
    h('div', {class: ['bar', pct > 90 ? 'hot' : pct > 70 ? 'warn' : null], 'aria-hidden': 'true'}, h('span', {style: {width: `${pct}%`}})));
}

/** "4 × NVIDIA H100 80GB HBM3", or each model's count when they differ. */
function gpuModels(gpus) {
  const counts = new Map();
  for (const g of gpus) counts.set(g.name || 'unknown GPU', (counts.get(g.name || 'unknown GPU') || 0) + 1);
  return [...counts].map(([name, n]) => `${n} × ${name}`).join(', ');
}

function gpuTable(node) {
  if (!node.gpus || node.gpus.length === 0) {
    return h('p', {class: 'muted small'}, node.online ? 'No GPUs: a CPU-only node.' : 'Its agent is gone: no GPU report.');
  }
  const holder = new Map();
  for (const t of node.tasks || []) for (const g of t.gpus || []) holder.set(g, t.id);
  const mixed = new Set(node.gpus.map(g => g.name)).size > 1;
  return h('div', {class: 'table-wrap'}, h('table', {'aria-label': `GPUs of ${node.id}`},
    h('thead', {}, h('tr', {}, ['GPU', 'Memory used', 'Utilisation', 'Temp', 'Health', 'Task'].map(c => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, node.gpus.map(g => {
      const task = holder.get(g.uuid) || holder.get(String(g.index));
      return h('tr', {'data-gpu': g.index},
        h('td', {title: g.uuid || ''}, h('b', {}, String(g.index)), mixed ? h('div', {class: 'muted small'}, g.name) : null),
        h('td', {}, memory(g)),
        h('td', {}, utilisation(g)),
        h('td', {class: 'nowrap'}, g.temperatureC !== undefined ? `${g.temperatureC} °C` : '—',
          g.powerW !== undefined ? h('div', {class: 'muted small'}, `${Math.round(g.powerW)} W`) : null),
        h('td', {}, g.healthy ? h('span', {class: 'health-ok'}, '✓ OK') : h('span', {class: 'health-bad'}, '✕ Unhealthy')),
        h('td', {class: 'gpu-task'}, task ? h('a', {href: `#/jobs/${encodeURIComponent(task)}`, class: 'mono small', title: task}, task) : h('span', {class: 'muted'}, 'free')));
    }))));
}

export function mount(root, {params, live, replaceQuery}) {
  let disposed = false;
  let nodes = null;
  let filter = params.get('q') || '';
  const summary = h('p', {class: 'subtitle', id: 'nodes-summary'});
  const list = h('div', {class: 'node-list', id: 'node-list'});
  const message = h('div', {});
  const search = h('input', {id: 'node-filter', type: 'search', value: filter, placeholder: 'gpu-1, H100, cordoned…', autocomplete: 'off'});
  search.addEventListener('input', () => {
    filter = search.value.trim();
    const q = new URLSearchParams();
    if (filter) q.set('q', filter);
    replaceQuery(q);
    render();
  });

  root.append(
    h('div', {class: 'page-head'},
      h('div', {}, h('h1', {}, 'Nodes'), summary),
      h('div', {class: 'actions'}, h('div', {class: 'field', style: {width: '260px'}},
        h('label', {for: 'node-filter', class: 'visually-hidden'}, 'Filter nodes'), search))),
    message, list);

  async function act(node, action) {
    let body;
    if (action !== 'uncordon') {
      const answer = await ask({
        title: `${action === 'cordon' ? 'Cordon' : 'Drain'} ${node.id}?`,
        text: action === 'cordon'
          ? 'No new jobs are placed on it; its running jobs go on.'
          : 'No new jobs are placed on it; its running jobs finish, then it can be taken out.',
        fields: [{name: 'reason', label: 'Reason (optional)', placeholder: action === 'cordon' ? 'e.g. GPU 3 flaky' : 'e.g. replace PSU'}],
        confirm: action === 'cordon' ? 'Cordon' : 'Drain',
      });
      if (!answer) return;
      body = answer.reason ? {reason: answer.reason} : undefined;
    }
    try {
      const updated = await api.post(`/nodes/${encodeURIComponent(node.id)}/${action}`, body);
      nodes = nodes.map(n => (n.id === updated.id ? updated : n));
      render();
      list.querySelector(`[data-node="${CSS.escape(node.id)}"] .actions button`)?.focus();
    } catch (e) {
      toast(`${node.id}: ${e.message}`);
    }
  }

  function card(node) {
    const age = node.updatedAt ? (Date.now() - Date.parse(node.updatedAt)) / 1000 : null;
    const actions = [];
    if (node.status === 'ready') {
      actions.push(h('button', {type: 'button', class: 'small', 'data-needs': 'operator', onclick: () => act(node, 'cordon')}, 'Cordon'));
      actions.push(h('button', {type: 'button', class: 'small', 'data-needs': 'operator', onclick: () => act(node, 'drain')}, 'Drain'));
    } else if (node.status === 'cordoned' || node.status === 'draining' || node.operatorState) {
      actions.push(h('button', {type: 'button', class: 'small', 'data-needs': 'operator', onclick: () => act(node, 'uncordon')}, 'Uncordon'));
      if (node.status === 'cordoned') actions.push(h('button', {type: 'button', class: 'small', 'data-needs': 'operator', onclick: () => act(node, 'drain')}, 'Drain'));
    }
    const gpuCount = node.gpus ? node.gpus.length : 0;
    return h('article', {class: 'card node-card', 'data-node': node.id, 'data-key': node.id, 'data-status': node.status, 'aria-labelledby': `node-${node.id}`},
      h('header', {},
        h('h2', {id: `node-${node.id}`}, node.id),
        h('span', {class: 'node-status'}, statusBadge(node.status)),
        h('span', {class: 'small muted'}, `${number(node.gpusInUse ? node.gpusInUse.length : 0)} of ${number(gpuCount)} GPUs in use`),
        h('div', {class: 'actions'}, actions),
        h('div', {class: 'meta'},
          gpuCount ? h('span', {class: 'gpu-models'}, gpuModels(node.gpus)) : null,
          node.hostname ? h('span', {}, node.hostname) : null,
          node.cpus ? h('span', {}, `${node.cpus} CPUs`) : null,
          node.memoryMiB ? h('span', {}, `${mib(node.memoryMiB)} RAM`) : null,
          node.simulated ? h('span', {class: 'tag'}, 'simulated GPUs') : null,
          node.agentVersion ? h('span', {}, `agent ${node.agentVersion}`) : null,
          node.online
            ? h('span', {class: age !== null && age > STALE_SECONDS ? 'stale' : null, 'data-heartbeat': node.updatedAt}, 'last report ', relative(node.updatedAt))
            : h('span', {class: 'stale'}, 'agent gone (lease expired)'),
          Object.entries(node.labels || {}).map(([k, v]) => h('span', {class: 'tag mono'}, `${k}=${v}`)))),
      node.operatorState ? h('p', {class: 'operator'},
        `${node.operatorState.state === 'draining' ? 'Draining' : 'Cordoned'} ${ago(node.operatorState.at)}`,
        node.operatorState.reason ? `: ${node.operatorState.reason}` : '') : null,
      node.problem ? h('p', {class: 'error-box'}, node.problem) : null,
      node.notice ? h('p', {class: 'error-box node-notice'}, h('b', {}, 'The agent reports: '), node.notice) : null,
      gpuTable(node),
      h('div', {class: 'tasks'}, h('b', {}, 'Tasks: '),
        node.tasks && node.tasks.length
          ? [node.tasks.map((t, i) => [i ? ', ' : '', h('a', {href: `#/jobs/${encodeURIComponent(t.id)}`, class: 'mono'}, t.id)]), ' · ',
            h('a', {href: `#/jobs?node=${encodeURIComponent(node.id)}`}, 'all its jobs')]
          : h('span', {class: 'muted'}, 'none')));
  }

  function matches(node) {
    if (!filter) return true;
    const f = filter.toLowerCase();
    return [node.id, node.status, node.hostname, ...(node.gpus || []).map(g => g.name), ...Object.entries(node.labels || {}).map(([k, v]) => `${k}=${v}`)]
      .some(x => x && x.toLowerCase().includes(f));
  }

  function render() {
    if (!nodes) return;
    const counts = {};
    for (const n of nodes) counts[n.status] = (counts[n.status] || 0) + 1;
    const gpus = nodes.reduce((a, n) => a + (n.online && n.gpus ? n.gpus.length : 0), 0);
    const busy = nodes.reduce((a, n) => a + (n.gpusInUse ? n.gpusInUse.length : 0), 0);
    summary.textContent = `${number(nodes.length)} nodes: ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ') || 'none'} · ${number(busy)} of ${number(gpus)} GPUs in use`;
    const shown = nodes.filter(matches);
    keepFocus(list, () => list.replaceChildren(...(shown.length ? shown.map(card)
      : [h('p', {class: 'notice'}, nodes.length ? 'No node matches the filter.' : 'No nodes yet: start an agent (gantry agent) on a GPU host.')])));
  }

  async function load() {
    try {
      const answer = await api.get('/nodes');
      if (disposed) return;
      nodes = answer.items;
      message.replaceChildren();
      render();
    } catch (e) {
      if (!disposed) message.replaceChildren(h('p', {class: 'error-box', role: 'alert'}, `Could not read the nodes: ${e.message}`));
    }
  }

  const refresh = throttle(load, 1000);
  list.append(h('p', {class: 'loading'}, 'Loading nodes…'));
  load().then(() => performance.mark('gantry:nodes-rendered'));

  return {
    dispose() {
      disposed = true;
      refresh.cancel();
    },
    onEvent(event) {
      if (event.type === 'node' || event.type === 'resync' || (event.type === 'job' && event.kind !== 'progress')) refresh();
    },
  };
}
