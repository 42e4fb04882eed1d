// Overview: the KV cluster's health, nodes and GPUs, jobs by status, and a feed of what just happened.

import {api} from '../api.js';
import {h, throttle} from '../dom.js';
import {STATUSES, bytes, clock, number, statusBadge} from '../format.js';

const FEED_SIZE = 60;
const CLUSTER_REFRESH_MS = 5000;

/** A feed line for an event, or null for events that are not worth one (progress ticks, telemetry). */
export function describe(event) {
  const job = name => h('a', {href: `#/jobs/${encodeURIComponent(event.id)}`}, name || event.id);
  const node = id => h('code', {}, id);
  if (event.type === 'job') {
    const name = job(event.name);
    switch (event.kind) {
      case 'submitted': return ['Job ', name, ' submitted'];
      case 'scheduled': return ['Job ', name, ' scheduled on ', node(event.node)];
      case 'started': return ['Job ', name, ' started on ', node(event.node)];
      case 'succeeded': return ['Job ', name, ' succeeded'];
      case 'failed': return ['Job ', name, ' failed', event.reason ? `: ${event.reason}` : ''];
      case 'cancelled': return ['Job ', name, ' cancelled', event.reason && event.reason !== 'cancelled' ? `: ${event.reason}` : ''];
      case 'requeued': return ['Job ', name, ` requeued (attempt ${event.attempt})`, event.reason ? `: ${event.reason}` : ''];
      case 'deleted': return ['Job ', h('code', {}, event.id), ' deleted'];
      default: return null;
    }
  }
  if (event.type === 'node') {
    switch (event.kind) {
      case 'joined': return ['Node ', node(event.id), ' joined'];
      case 'lost': return ['Node ', node(event.id), ' lost (its agent stopped renewing its lease)'];
      case 'cordoned': return ['Node ', node(event.id), ' cordoned', event.reason ? `: ${event.reason}` : ''];
      case 'draining': return ['Node ', node(event.id), ' draining', event.reason ? `: ${event.reason}` : ''];
      case 'uncordoned': return ['Node ', node(event.id), ' uncordoned'];
      default: return null;
    }
  }
  if (event.type === 'cluster' && event.kind === 'leader') {
    return event.leader
      ? ['KV leader is now ', h('b', {}, event.leaderName || event.leader), ` (term ${event.term})`]
      : [`The KV cluster has no leader (term ${event.term})`];
  }
  return null;
}

function stat(label, value, detail, attrs = {}) {
  return h('section', {class: 'card stat', ...attrs},
    h('h2', {class: 'label'}, label),
    h('p', {class: 'value', style: {margin: 0}}, value),
    h('p', {class: 'detail', style: {margin: 0}}, detail));
}

function countList(items) {
  const max = Math.max(1, ...items.map(i => i.n));
  return h('ul', {class: 'count-list'}, items.map(i => h('li', {'data-count': i.key},
    i.href ? h('a', {href: i.href}, i.label) : i.label,
    h('div', {class: 'bar', 'aria-hidden': 'true'}, h('span', {style: {width: `${(100 * i.n) / max}%`}})),
    h('span', {class: 'n'}, number(i.n)))));
}

function gpuCard(o) {
  const g = o.gpus;
  const pct = n => `${g.total ? (100 * n) / g.total : 0}%`;
  return h('section', {class: 'card', 'aria-labelledby': 'gpus-title'},
    h('h2', {id: 'gpus-title'}, 'GPUs'),
    h('div', {class: 'stacked', role: 'img', 'aria-label': `${g.busy} busy, ${g.free} free, ${g.unavailable} unavailable of ${g.total} GPUs`},
      h('span', {class: 'c-busy', style: {width: pct(g.busy)}}),
      h('span', {class: 'c-free', style: {width: pct(g.free)}}),
      h('span', {class: 'c-unavailable', style: {width: pct(g.unavailable)}})),
    h('ul', {class: 'legend'},
      h('li', {}, h('span', {class: 'swatch c-busy'}), `Busy ${number(g.busy)}`),
      h('li', {}, h('span', {class: 'swatch c-free'}), `Free ${number(g.free)}`),
      h('li', {}, h('span', {class: 'swatch c-unavailable'}), `Unavailable ${number(g.unavailable)}`)),
    o.gpuModels.length === 0 ? h('p', {class: 'muted small'}, 'No GPUs reported by any node.') :
      h('table', {style: {marginTop: '12px'}},
        h('thead', {}, h('tr', {}, h('th', {}, 'Model'), h('th', {class: 'num'}, 'Total'), h('th', {class: 'num'}, 'Busy'), h('th', {class: 'num'}, 'Free'))),
        h('tbody', {}, o.gpuModels.map(m => h('tr', {},
          h('td', {}, m.name), h('td', {class: 'num'}, number(m.total)), h('td', {class: 'num'}, number(m.busy)), h('td', {class: 'num'}, number(m.free)))))));
}

function clusterCard(c) {
  if (c.error) {
    return h('section', {class: 'card', 'aria-labelledby': 'kv-title'}, h('h2', {id: 'kv-title'}, 'KV cluster'),
      h('p', {class: 'error-box'}, c.error));
  }
  const quota = c.quotaBytes > 0 ? c.quotaBytes : null;
  const used = quota ? Math.min(100, (100 * c.dbSize) / quota) : 0;
  return h('section', {class: 'card', 'aria-labelledby': 'kv-title'},
    h('div', {class: 'card-head'}, h('h2', {id: 'kv-title'}, 'KV cluster'),
      h('span', {class: 'badge', 'data-status': c.leader ? 'ready' : 'lost'}, c.leader ? 'Has leader' : 'No leader')),
    h('dl', {class: 'kv'},
      h('dt', {}, 'Leader'), h('dd', {'data-field': 'leader'}, c.leaderName || c.leader || 'none'),
      h('dt', {}, 'Raft term'), h('dd', {}, number(c.raftTerm)),
      h('dt', {}, 'Revision'), h('dd', {}, number(c.revision)),
      h('dt', {}, 'Raft index'), h('dd', {}, number(c.raftIndex)),
      h('dt', {}, 'DB size'), h('dd', {},
        quota ? h('div', {class: 'gpu-mem'},
          `${bytes(c.dbSize)} of ${bytes(quota)} quota (${used.toFixed(1)}%)`,
          h('div', {class: ['bar', used > 80 ? 'hot' : used > 60 ? 'warn' : 'ok'], 'aria-hidden': 'true'}, h('span', {style: {width: `${used}%`}})))
          : `${bytes(c.dbSize)} (${bytes(c.dbSizeInUse)} in use)`),
      h('dt', {}, 'Version'), h('dd', {}, c.version || '—'),
      h('dt', {}, 'Alarms'), h('dd', {}, c.alarms && c.alarms.length
        ? c.alarms.map(a => h('span', {class: 'badge', 'data-status': 'lost'}, `${a.alarm} on ${a.memberId}`)) : 'none')),
    h('h3', {style: {margin: '14px 0 6px'}}, `Members (${c.members.length})`),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'ID'), h('th', {}, 'Client URLs'), h('th', {}, 'Role'))),
      h('tbody', {}, c.members.map(m => h('tr', {'data-member': m.name},
        h('td', {}, m.name || '(starting)'), h('td', {class: 'mono'}, m.id), h('td', {class: 'mono small'}, (m.clientUrls || []).join(', ')),
        h('td', {}, m.id === c.leader ? h('b', {}, 'leader') : m.learner ? 'learner' : 'follower'))))),
    c.errors && c.errors.length ? h('p', {class: 'error-box'}, c.errors.join('; ')) : null);
}

export function mount(root, {live}) {
  let disposed = false;
  let overview = null;
  let cluster = null;
  const feed = [];
  const head = h('div', {class: 'page-head'}, h('div', {},
    h('h1', {}, 'Overview'),
    h('p', {class: 'subtitle'}, 'The cluster as this server sees it, updated live.')));
  const stats = h('div', {class: 'grid grid-4'});
  const middle = h('div', {class: 'grid grid-3'});
  const bottom = h('div', {class: 'grid grid-2'});
  const feedList = h('ol', {class: 'feed', 'aria-live': 'polite', 'aria-relevant': 'additions', id: 'event-feed'});
  const feedCard = h('section', {class: 'card', 'aria-labelledby': 'feed-title'},
    h('div', {class: 'card-head'}, h('h2', {id: 'feed-title'}, 'Live events'), h('span', {class: 'muted small'}, 'newest first')),
    feedList);
  const message = h('div', {});
  root.append(head, message, stats, middle, bottom);

  function feedItem({event, line}) {
    return h('li', {'data-kind': `${event.type}:${event.kind}`}, h('time', {datetime: event.at, title: event.at}, clock(event.at)), h('span', {}, line));
  }

  function renderFeed() {
    const items = feed.map(feedItem);
    feedList.replaceChildren(...(items.length ? items : [h('li', {class: 'muted'}, h('span', {}), h('span', {}, 'Nothing has happened yet.'))]));
  }

  function pushFeed(event, atEnd = false) {
    const line = describe(event);
    if (!line) return;
    if (atEnd) feed.push({event, line});
    else feed.unshift({event, line});
    feed.length = Math.min(feed.length, FEED_SIZE);
  }

  /** A live event goes on top of the list as it is, so that a screen reader announces that one line only. */
  function prependFeed(event) {
    if (!describe(event)) return;
    const hadItems = feed.length > 0;
    pushFeed(event);
    if (!hadItems) return renderFeed();
    feedList.prepend(feedItem(feed[0]));
    while (feedList.children.length > FEED_SIZE) feedList.lastElementChild.remove();
  }

  function render() {
    if (!overview) return;
    const o = overview;
    const running = o.jobs.RUNNING + o.jobs.SCHEDULED;
    stats.replaceChildren(
      stat('Jobs running', number(running), `${number(o.jobs.PENDING)} pending · ${number(o.jobsTotal)} in all`, {'data-stat': 'running'}),
      stat('GPUs busy', `${number(o.gpus.busy)} / ${number(o.gpus.total)}`, `${number(o.gpus.free)} free · ${number(o.gpus.unavailable)} unavailable`, {'data-stat': 'gpus'}),
      stat('Nodes ready', `${number(o.nodes.ready)} / ${number(o.nodes.total)}`,
        `${number(o.nodes.cordoned + o.nodes.draining)} cordoned or draining · ${number(o.nodes.lost)} lost`, {'data-stat': 'nodes'}),
      stat('KV leader', cluster && !cluster.error ? (cluster.leaderName || cluster.leader || 'none') : '—',
        cluster && !cluster.error ? `term ${number(cluster.raftTerm)} · revision ${number(cluster.revision)}` : 'unknown', {'data-stat': 'leader'}));
    middle.replaceChildren(
      h('section', {class: 'card', 'aria-labelledby': 'jobs-title'},
        h('div', {class: 'card-head'}, h('h2', {id: 'jobs-title'}, 'Jobs by status'), h('a', {href: '#/jobs', class: 'small'}, 'All jobs')),
        countList(STATUSES.map(st => ({key: st, label: statusBadge(st), n: o.jobs[st], href: `#/jobs?status=${st}`})))),
      gpuCard(o),
      h('section', {class: 'card', 'aria-labelledby': 'nodes-title'},
        h('div', {class: 'card-head'}, h('h2', {id: 'nodes-title'}, 'Nodes by status'), h('a', {href: '#/nodes', class: 'small'}, 'All nodes')),
        countList(['ready', 'cordoned', 'draining', 'lost', 'offline', 'invalid']
          .filter(st => st !== 'invalid' || o.nodes.invalid > 0)
          .map(st => ({key: st, label: statusBadge(st), n: o.nodes[st]})))));
    bottom.replaceChildren(cluster ? clusterCard(cluster) : h('section', {class: 'card loading'}, 'Reading cluster status…'), feedCard);
  }

  async function loadOverview() {
    try {
      overview = await api.get('/views/overview');
      message.replaceChildren();
    } catch (e) {
      message.replaceChildren(h('p', {class: 'error-box'}, `Could not read the overview: ${e.message}`));
    }
    if (!disposed) render();
  }

  async function loadCluster() {
    try {
      cluster = await api.get('/cluster');
    } catch (e) {
      cluster = {error: `Could not read the cluster status: ${e.message}`};
    }
    if (!disposed) render();
  }

  async function loadFeed() {
    try {
      const recent = await api.get('/events/recent?limit=50');
      feed.length = 0;
      for (const event of recent.items.slice().reverse()) pushFeed(event, true);
    } catch {
      // the feed fills from live events
    }
    if (!disposed) renderFeed();
  }

  const refreshOverview = throttle(loadOverview, 1000);
  const refreshCluster = throttle(loadCluster, 1000);
  const timer = setInterval(loadCluster, CLUSTER_REFRESH_MS);
  stats.append(h('p', {class: 'loading'}, 'Loading…'));
  renderFeed();
  Promise.all([loadOverview(), loadCluster(), loadFeed()]).then(() => performance.mark('gantry:overview-rendered'));

  return {
    dispose() {
      disposed = true;
      clearInterval(timer);
      refreshOverview.cancel();
      refreshCluster.cancel();
    },
    onEvent(event) {
      if (event.type === 'resync') {
        loadOverview();
        loadCluster();
        loadFeed();
        return;
      }
      if (event.type === 'cluster') refreshCluster();
      else if (!(event.type === 'job' && event.kind === 'progress')) refreshOverview();
      prependFeed(event);
    },
  };
}
