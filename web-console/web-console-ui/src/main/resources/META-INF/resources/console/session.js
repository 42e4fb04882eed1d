// Signing in, for servers run with --api-auth on. The token goes to POST /api/v1/session once; the server keeps it
// in an HttpOnly cookie that every later request (and the EventSource) carries, so no script here holds it.

import {api, ApiError} from './api.js';
import {h} from './dom.js';

/** Who is signed in ({authRequired, name, role}), or null when the server wants a token first. */
export async function currentSession() {
  try {
    return await api.get('/session');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

/** The sign-in page; calls onSignedIn(session) once a token is accepted. */
export function mountSignIn(root, onSignedIn) {
  const error = h('p', {class: 'form-error', role: 'alert', id: 'sign-in-error'});
  const input = h('input', {id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'token-help', placeholder: 'gantry_…'});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
  const form = h('form', {class: 'sign-in', onsubmit: async e => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    try {
      const session = await api.post('/session', {token: input.value.trim()});
      input.value = '';
      onSignedIn(session);
    } catch (e) {
      error.textContent = e.status === 401 ? `That token was not accepted: ${e.message}.` : e.message;
      input.focus();
    } finally {
      submit.disabled = false;
    }
  }},
  h('label', {for: 'token'}, 'API token'),
  input,
  h('p', {id: 'token-help', class: 'hint'}, 'This server requires an API token. An administrator makes one with ',
    h('code', {}, 'gantry token create --name YOU --role viewer'), '.'),
  error,
  submit);
  root.replaceChildren(h('h1', {}, 'Sign in'), form);
  document.title = 'Sign in · Gantry';
  input.focus();
}

/** Shows who is signed in, with a sign-out button, in the top bar (nothing when the server needs no token). */
export function showSession(element, session, onSignedOut) {
  if (!session.authRequired) {
    element.hidden = true;
    return;
  }
  element.replaceChildren(
    h('span', {class: 'session-user'}, session.name, ' ', h('span', {class: 'session-role'}, session.role)),
    h('button', {type: 'button', class: 'small', onclick: async () => {
      await fetch('/api/v1/session', {method: 'DELETE'});
      onSignedOut();
    }}, 'Sign out'));
  element.hidden = false;
}
