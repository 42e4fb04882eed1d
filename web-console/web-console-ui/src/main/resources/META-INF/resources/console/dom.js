// Building DOM without innerHTML: every value from the server goes in as text, never as markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' && 'value' in el) el.value = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h('a', {href: '#/jobs', class: 'x'}, 'text', otherNode): an HTML element. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null && value !== false) el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Calls fn at most once per `ms`, and once more after the last call of a burst, so the final state is always shown. */
export function throttle(fn, ms) {
  let timer = null;
  let pending = false;
  let last = 0;
  const run = () => {
    timer = null;
    pending = false;
    last = Date.now();
    fn();
  };
  const throttled = () => {
    if (timer) {
      pending = true;
      return;
    }
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(run, wait);
  };
  throttled.cancel = () => {
    clearTimeout(timer);
    timer = null;
    pending = false;
  };
  return throttled;
}

/** A modal dialog (the native <dialog>: focus stays inside, Escape closes). Resolves to the form's values or null. */
export function ask({title, text, fields = [], confirm, danger = false, cancel = 'Cancel'}) {
  return new Promise(resolve => {
    const inputs = fields.map(f => h('div', {class: 'field'},
      h('label', {for: `dialog-${f.name}`}, f.label),
      h('input', {id: `dialog-${f.name}`, name: f.name, placeholder: f.placeholder || '', autocomplete: 'off'})));
    const dialog = h('dialog', {'aria-labelledby': 'dialog-title'},
      h('form', {method: 'dialog'},
        h('h2', {id: 'dialog-title'}, title),
        text ? h('p', {class: 'muted'}, text) : null,
        inputs,
        h('div', {class: 'form-actions'},
          h('button', {type: 'submit', value: 'cancel', formnovalidate: true}, cancel),
          h('button', {type: 'submit', value: 'ok', class: danger ? 'danger solid' : 'primary'}, confirm))));
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      const values = {};
      for (const f of fields) values[f.name] = dialog.querySelector(`[name="${f.name}"]`).value.trim();
      dialog.remove();
      resolve(ok ? values : null);
    });
    dialog.showModal();
    (dialog.querySelector('input') || dialog.querySelector('button[value="ok"]')).focus();
  });
}

/** A short message at the bottom right, gone after a few seconds. */
export function toast(message) {
  const el = h('div', {class: 'toast', role: 'status'}, message);
  document.body.append(el);
  setTimeout(() => el.remove(), 5000);
}

/**
 * Re-renders a live region without losing the keyboard user's place: the element that had focus inside
 * `container` (found again by id, or by its text within the nearest [data-key]) gets it back.
 */
export function keepFocus(container, rerender) {
  const active = document.activeElement;
  let key = null;
  if (active && active !== container && container.contains(active)) {
    key = {holder: active.closest('[data-key]')?.dataset.key, tag: active.tagName, text: active.textContent, id: active.id};
  }
  rerender();
  if (!key) return;
  const scope = (key.holder && container.querySelector(`[data-key="${CSS.escape(key.holder)}"]`)) || container;
  const match = key.id ? document.getElementById(key.id) : [...scope.querySelectorAll(key.tag)].find(e => e.textContent === key.text);
  match?.focus({preventScroll: true});
}
