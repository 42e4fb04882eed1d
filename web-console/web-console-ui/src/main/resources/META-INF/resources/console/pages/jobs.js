// Jobs: the table of every job, filtered (status, name, label, node), sorted by any column and paged, from
// /api/v1/views/jobs. Filters, sort and page live in the URL (#/jobs?status=RUNNING&sort=-createdAt&page=2), so a
// view can be bookmarked or shared. Live events refresh the page shown, at most once a second.

import {api, query} from '../api.js';
import {h, keepFocus, throttle} from '../dom.js';
import {STATUSES, number, percent, relative, statusBadge, statusLabel} from '../format.js';

const PAGE_SIZES = [25, 50, 100];
const COLUMNS = [
  {key: 'name', label: 'Job', sort: 'name'},
  {key: 'status', label: 'Status', sort: 'status'},
  {key: 'progress', label: 'Progress', sort: 'progress'},
  {key: 'node', label: 'Node', sort: 'node'},
  {key: 'gpus', label: 'GPUs'},
  {key: 'priority', label: 'Priority', sort: 'priority', num: true},
  {key: 'createdAt', label: 'Submitted', sort: 'createdAt'},
  {key: 'updatedAt', label: 'Updated', sort: 'updatedAt'},
];

function miniProgress(row) {
  const p = row.progress && row.progress.percent;
  if (row.status === 'SUCCEEDED') return h('div', {class: 'mini-progress'}, h('div', {class: 'bar ok'}, h('span', {style: {width: '100%'}})), h('span', {class: 'pct'}, '100%'));
  if (p === undefined || p === null) return h('span', {class: 'muted'}, '—');
  return h('div', {class: 'mini-progress'},
    h('div', {class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(p), 'aria-label': `${row.name} progress`},
      h('span', {style: {width: `${Math.min(100, p)}%`}})),
    h('span', {class: 'pct'}, percent(p)));
}

function gpus(row) {
  const held = row.gpus && row.gpus.length ? row.gpus.length : 0;
  const what = row.status === 'SCHEDULED' || row.status === 'RUNNING' ? `${held} of ${row.gpusRequested}` : `${row.gpusRequested}`;
  return [what, row.gpuModel ? h('span', {class: 'muted small'}, ` ${row.gpuModel}`) : null];
}

export function mount(root, {params, live, replaceQuery}) {
  let disposed = false;
  let firstRender = true;
  const state = {
    status: new Set((params.get('status') || '').split(',').map(s => s.trim().toUpperCase()).filter(s => STATUSES.includes(s))),
    name: params.get('name') || '',
    label: params.get('label') || '',
    node: params.get('node') || '',
    sort: params.get('sort') || '-createdAt',
    page: Math.max(1, parseInt(params.get('page') || '1', 10) || 1),
    size: PAGE_SIZES.includes(parseInt(params.get('size'), 10)) ? parseInt(params.get('size'), 10) : 50,
  };
  let data = null;

  const message = h('div', {});
  const table = h('div', {class: 'table-wrap'});
  const pager = h('div', {class: 'pager'});

  const statusButtons = STATUSES.map(st => h('button', {
    type: 'button', class: 'small chip', 'data-status-filter': st, 'data-status': st, 'aria-pressed': String(state.status.has(st)),
    onclick: () => {
      if (state.status.has(st)) state.status.delete(st);
      else state.status.add(st);
      state.page = 1;
      syncFilters();
      load();
    },
  }, statusLabel(st)));
  const allButton = h('button', {
    type: 'button', class: 'small chip', 'aria-pressed': String(state.status.size === 0),
    onclick: () => {
      state.status.clear();
      state.page = 1;
      syncFilters();
      load();
    },
  }, 'All');

  const debounced = (fn, ms) => {
    let t;
    return () => {
      clearTimeout(t);
      t = setTimeout(fn, ms);
    };
  };
  const textFilter = (key, label, placeholder, hint) => {
    const input = h('input', {id: `filter-${key}`, name: key, value: state[key], placeholder, autocomplete: 'off', 'aria-describedby': `filter-${key}-hint`});
    input.addEventListener('input', debounced(() => {
      state[key] = input.value.trim();
      state.page = 1;
      syncFilters();
      load();
    }, 300));
    return h('div', {class: 'field'}, h('label', {for: `filter-${key}`}, label), input, h('p', {class: 'hint', id: `filter-${key}-hint`}, hint));
  };

  root.append(
    h('div', {class: 'page-head'},
      h('div', {}, h('h1', {}, 'Jobs'), h('p', {class: 'subtitle'}, 'Every job in the cluster. Click a column to sort.')),
      h('div', {class: 'actions'}, h('a', {class: 'button primary', href: '#/submit'}, 'Submit a job'))),
    h('section', {class: 'card'},
      h('div', {role: 'search', 'aria-label': 'Filter jobs'},
        h('fieldset', {class: 'status-filter'}, h('legend', {}, 'Status'), allButton, statusButtons),
        h('div', {class: 'filters'},
          textFilter('name', 'Name contains', 'e.g. qwen', 'any part of the name'),
          textFilter('label', 'Label', 'team=nlp', 'key=value, comma-separated'),
          textFilter('node', 'Node', 'gpu-1', 'the node it runs on'))),
      message, table, pager));

  function syncFilters() {
    for (const b of statusButtons) b.setAttribute('aria-pressed', String(state.status.has(b.dataset.statusFilter)));
    allButton.setAttribute('aria-pressed', String(state.status.size === 0));
    const q = new URLSearchParams();
    if (state.status.size) q.set('status', [...state.status].join(','));
    for (const key of ['name', 'label', 'node']) if (state[key]) q.set(key, state[key]);
    if (state.sort !== '-createdAt') q.set('sort', state.sort);
    if (state.page > 1) q.set('page', String(state.page));
    if (state.size !== 50) q.set('size', String(state.size));
    replaceQuery(q);
  }

  function sortBy(column) {
    const current = state.sort.replace(/^-/, '');
    const descending = state.sort.startsWith('-');
    // A new column starts descending for times and numbers (newest, highest first), ascending for names.
    const startDescending = !['name', 'node', 'status'].includes(column);
    state.sort = current === column ? (descending ? column : `-${column}`) : (startDescending ? `-${column}` : column);
    state.page = 1;
    syncFilters();
    load().then(() => root.querySelector(`th[data-column="${column}"] button`)?.focus());
  }

  function header() {
    const current = state.sort.replace(/^-/, '');
    const direction = state.sort.startsWith('-') ? 'descending' : 'ascending';
    return h('thead', {}, h('tr', {}, COLUMNS.map(c => {
      const sorted = c.sort && c.sort === current;
      const arrow = sorted ? (direction === 'descending' ? ' ▼' : ' ▲') : '';
      return h('th', {scope: 'col', class: c.num ? 'num' : null, 'data-column': c.sort || c.key, 'aria-sort': sorted ? direction : null},
        c.sort ? h('button', {type: 'button', class: 'sort', onclick: () => sortBy(c.sort),
          'aria-label': `${c.label}: sort ${sorted && direction === 'ascending' ? 'descending' : 'ascending'}`}, c.label, h('span', {'aria-hidden': 'true'}, arrow)) : c.label);
    })));
  }

  function render() {
    if (!data) return;
    const rows = data.items.map(row => h('tr', {'data-job': row.id, 'data-key': row.id},
      h('td', {}, h('a', {href: `#/jobs/${encodeURIComponent(row.id)}`, class: 'job-name'}, row.name), h('span', {class: 'job-id'}, row.id)),
      h('td', {class: 'status-cell'}, statusBadge(row.status),
        row.status === 'PENDING' && row.reason ? h('div', {class: 'muted small reason-line', title: row.reason}, row.reason) : null),
      h('td', {}, miniProgress(row)),
      h('td', {}, row.node ? h('a', {href: `#/jobs?node=${encodeURIComponent(row.node)}`, class: 'mono nowrap'}, row.node) : h('span', {class: 'muted'}, '—')),
      h('td', {}, gpus(row)),
      h('td', {class: 'num'}, number(row.priority)),
      h('td', {}, relative(row.createdAt)),
      h('td', {}, relative(row.updatedAt))));
    keepFocus(table, () => table.replaceChildren(h('table', {id: 'jobs-table', 'aria-label': 'Jobs', 'aria-rowcount': data.total},
      header(),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: COLUMNS.length, class: 'muted'},
        data.total === 0 && !state.status.size && !state.name && !state.label && !state.node
          ? ['No jobs yet. ', h('a', {href: '#/submit'}, 'Submit one.')] : 'No jobs match these filters.'))))));
    const pages = Math.max(1, Math.ceil(data.total / state.size));
    const from = data.total === 0 ? 0 : data.offset + 1;
    const to = data.offset + data.items.length;
    const go = page => () => {
      state.page = page;
      syncFilters();
      load();
    };
    const sizeSelect = h('select', {id: 'page-size', 'aria-label': 'Jobs per page'}, PAGE_SIZES.map(n => h('option', {value: n, selected: n === state.size}, `${n} per page`)));
    sizeSelect.addEventListener('change', () => {
      state.size = parseInt(sizeSelect.value, 10);
      state.page = 1;
      syncFilters();
      load();
    });
    keepFocus(pager, () => pager.replaceChildren(
      h('span', {class: 'count', 'data-total': data.total}, `${number(from)}–${number(to)} of ${number(data.total)} jobs`),
      sizeSelect,
      h('button', {type: 'button', class: 'small', disabled: state.page <= 1, onclick: go(1)}, 'First'),
      h('button', {type: 'button', class: 'small', disabled: state.page <= 1, onclick: go(state.page - 1), 'aria-label': 'Previous page'}, '‹ Previous'),
      h('span', {class: 'small'}, `Page ${state.page} of ${pages}`),
      h('button', {type: 'button', class: 'small', disabled: state.page >= pages, onclick: go(state.page + 1), 'aria-label': 'Next page'}, 'Next ›'),
      h('button', {type: 'button', class: 'small', disabled: state.page >= pages, onclick: go(pages)}, 'Last')));
    if (firstRender) {
      firstRender = false;
      performance.mark('gantry:jobs-rendered');
    }
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    try {
      const answer = await api.get(`/views/jobs${query({
        status: state.status.size ? [...state.status].join(',') : '', name: state.name, label: state.label.split(',').map(l => l.trim()).filter(Boolean), node: state.node,
        sort: state.sort, offset: (state.page - 1) * state.size, limit: state.size,
      })}`);
      if (disposed || mine !== seq) return;
      const pages = Math.max(1, Math.ceil(answer.total / state.size));
      if (state.page > pages) {
        // The jobs shrank under the page shown (filters, or deletions): go to the last page that has some.
        state.page = pages;
        syncFilters();
        return load();
      }
      data = answer;
      message.replaceChildren();
      render();
    } catch (e) {
      if (disposed || mine !== seq) return;
      message.replaceChildren(h('div', {class: 'error-box', role: 'alert'}, e.fields.length ? e.fields.map(f => `${f.field}: ${f.message}`).join('; ') : e.message));
    }
  }

  const refresh = throttle(load, 1000);
  table.append(h('p', {class: 'loading'}, 'Loading jobs…'));
  load();

  return {
    dispose() {
      disposed = true;
      refresh.cancel();
    },
    onEvent(event) {
      if (event.type === 'job' || event.type === 'resync') refresh();
    },
  };
}
