// The console's shell: a hash router (#/jobs, #/jobs/<id>, ...) that mounts one page at a time into <main>, and
// the live connection that feeds every page. Each page module exports mount(root, context) and returns
// {dispose(), onEvent(event)}.

import {Live} from './live.js';
import {refreshRelativeTimes} from './format.js';
import {currentSession, mountSignIn, showSession} from './session.js';
import * as overview from './pages/overview.js';
import * as jobs from './pages/jobs.js';
import * as job from './pages/job.js';
import * as submit from './pages/submit.js';
import * as nodes from './pages/nodes.js';
import * as config from './pages/config.js';

const ROUTES = [
  {pattern: /^\/$/, page: overview, nav: 'overview', title: 'Overview'},
  {pattern: /^\/jobs$/, page: jobs, nav: 'jobs', title: 'Jobs'},
  {pattern: /^\/jobs\/([^/]+)$/, page: job, nav: 'jobs', title: 'Job'},
  {pattern: /^\/submit$/, page: submit, nav: 'submit', title: 'Submit a job'},
  {pattern: /^\/nodes$/, page: nodes, nav: 'nodes', title: 'Nodes'},
  {pattern: /^\/config$/, page: config, nav: 'config', title: 'Config'},
];

const main = document.getElementById('main');
const live = new Live({
  banner: document.getElementById('connection-banner'),
  indicator: document.getElementById('live-indicator'),
});
let current = null;

/** The route in the hash: '#/jobs?status=RUNNING' → {path: '/jobs', params}. */
function location() {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return {path: path.replace(/\/+$/, '') || '/', params: new URLSearchParams(query)};
}

/** Rewrites the query of the current route without reloading the page (filters, sorting, paging). */
function replaceQuery(params) {
  const text = params.toString();
  history.replaceState(null, '', `#${location().path}${text ? `?${text}` : ''}`);
}

function navigate(hash) {
  window.location.hash = hash;
}

function route() {
  const {path, params} = location();
  if (current) {
    current.dispose?.();
    current = null;
  }
  main.replaceChildren();
  const match = ROUTES.map(r => ({r, m: path.match(r.pattern)})).find(x => x.m);
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (match && a.dataset.nav === match.r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!match) {
    document.title = 'Not found · Gantry';
    main.append(Object.assign(document.createElement('h1'), {textContent: 'Not found'}),
      Object.assign(document.createElement('p'), {textContent: `There is no page at ${path}.`}));
    return;
  }
  document.title = `${match.r.title} · Gantry`;
  current = match.r.page.mount(main, {params, args: match.m.slice(1).map(decodeURIComponent), live, navigate, replaceQuery});
}

live.on(event => current?.onEvent?.(event));
window.addEventListener('hashchange', () => {
  if (!signedIn) return;
  route();
  // Screen readers and keyboards start at the new page, unless the page put the focus somewhere itself.
  if (!main.contains(document.activeElement)) main.focus({preventScroll: true});
});
document.querySelector('[data-skip]').addEventListener('click', e => {
  e.preventDefault();
  main.focus();
});
setInterval(() => refreshRelativeTimes(main), 5000);

const sessionElement = document.getElementById('session');
let signedIn = false;

/** Signs in first when the server wants a token; then the pages and the live connection start. */
async function start() {
  const session = await currentSession();
  signedIn = session !== null;
  if (!session) {
    current?.dispose?.();
    current = null;
    live.disconnect();
    sessionElement.hidden = true;
    mountSignIn(main, start);
    return;
  }
  showSession(sessionElement, session, start);
  // What the role may not do is not offered (the API refuses it anyway): see [data-needs] in console.css.
  document.body.dataset.role = session.authRequired ? session.role : 'admin';
  route();
  live.connect();
}

// A token revoked or expired while the console is open: the next refused request brings back the sign-in page.
window.addEventListener('gantry:unauthorized', () => start());
start();
