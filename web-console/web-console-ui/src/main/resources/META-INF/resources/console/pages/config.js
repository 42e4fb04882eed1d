// Config: every key under /config/ (runtime configuration the scheduler watches, and the operator states of nodes
// under nodes/), each a JSON value; edit one in place or add a new one. The API checks keys and values.

import {api} from '../api.js';
import {h, toast} from '../dom.js';
import {number} from '../format.js';

export function mount(root, {live}) {
  let disposed = false;
  let entries = null;
  let editing = null;
  const table = h('div', {class: 'table-wrap'});
  const message = h('div', {});

  // ---- adding a key ----
  const keyInput = h('input', {id: 'config-key', name: 'key', placeholder: 'scheduler/policy', autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'config-key-hint config-key-error'});
  const keyError = h('p', {class: 'field-error', id: 'config-key-error', hidden: true});
  const valueInput = h('textarea', {id: 'config-value', name: 'value', rows: 4, placeholder: '{"binpack": true}', spellcheck: 'false',
    'aria-describedby': 'config-value-hint config-value-error'});
  const valueError = h('p', {class: 'field-error', id: 'config-value-error', hidden: true});
  const addButton = h('button', {type: 'submit', class: 'primary', id: 'config-save', 'data-needs': 'operator'}, 'Save');
  const addForm = h('form', {novalidate: true, id: 'config-form', 'aria-labelledby': 'config-add-title'},
    h('div', {class: 'fields'},
      h('div', {class: 'field wide'}, h('label', {for: 'config-key'}, 'Key under /config/'), keyInput,
        h('p', {class: 'hint', id: 'config-key-hint'}, '/-separated: letters, digits, ., _, -'), keyError),
      h('div', {class: 'field wide'}, h('label', {for: 'config-value'}, 'Value (JSON)'), valueInput,
        h('p', {class: 'hint', id: 'config-value-hint'}, 'stored exactly as written, once it parses as JSON'), valueError)),
    h('div', {class: 'form-actions', style: {marginTop: '12px'}}, addButton));
  addForm.addEventListener('submit', async e => {
    e.preventDefault();
    for (const [input, error] of [[keyInput, keyError], [valueInput, valueError]]) {
      input.removeAttribute('aria-invalid');
      error.hidden = true;
    }
    const key = keyInput.value.trim();
    if (!key) return fail(keyInput, keyError, 'a key is required');
    addButton.disabled = true;
    try {
      await api.put(`/config/${key.split('/').map(encodeURIComponent).join('/')}`, valueInput.value);
      toast(`Saved /config/${key}.`);
      keyInput.value = '';
      valueInput.value = '';
      await load();
    } catch (err) {
      if (err.fields.some(f => f.field === 'key') || err.status === 404) fail(keyInput, keyError, err.fields.find(f => f.field === 'key')?.message || err.message);
      else fail(valueInput, valueError, err.message);
    } finally {
      addButton.disabled = false;
    }
  });

  function fail(input, error, text) {
    input.setAttribute('aria-invalid', 'true');
    error.textContent = text;
    error.hidden = false;
    input.focus();
  }

  // ---- the table ----

  function valueEditor(entry) {
    const id = `edit-${entry.key.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
    const area = h('textarea', {id, rows: 6, spellcheck: 'false', 'aria-label': `Value of ${entry.key}`, 'aria-describedby': `${id}-error`},
      JSON.stringify(entry.value, null, 2));
    const error = h('p', {class: 'field-error', id: `${id}-error`, hidden: true});
    const save = h('button', {type: 'button', class: 'primary small', onclick: async () => {
      save.disabled = true;
      try {
        await api.put(`/config/${entry.key.split('/').map(encodeURIComponent).join('/')}`, area.value);
        editing = null;
        toast(`Saved /config/${entry.key}.`);
        await load();
      } catch (err) {
        fail(area, error, err.message);
      } finally {
        save.disabled = false;
      }
    }}, 'Save');
    const cancel = h('button', {type: 'button', class: 'small', onclick: () => {
      editing = null;
      render();
    }}, 'Cancel');
    setTimeout(() => area.focus());
    return h('div', {class: 'field config-edit'}, area, error, h('div', {class: 'form-actions'}, save, cancel));
  }

  function render() {
    if (!entries) return;
    table.replaceChildren(entries.length === 0 ? h('p', {class: 'notice'}, 'No configuration yet.') :
      h('table', {id: 'config-table'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Key'), h('th', {scope: 'col'}, 'Value'), h('th', {scope: 'col', class: 'num'}, 'Revision'), h('th', {scope: 'col'}, h('span', {class: 'visually-hidden'}, 'Actions')))),
        h('tbody', {}, entries.map(entry => h('tr', {'data-config': entry.key},
          h('td', {class: 'mono'}, entry.key),
          h('td', {style: {width: '55%'}}, editing === entry.key ? valueEditor(entry) : h('pre', {class: 'config-value'}, JSON.stringify(entry.value, null, 2))),
          h('td', {class: 'num'}, number(entry.modRevision)),
          h('td', {}, editing === entry.key ? null : h('button', {type: 'button', class: 'small', 'data-needs': 'operator', 'aria-label': `Edit ${entry.key}`, onclick: () => {
            editing = entry.key;
            render();
          }}, 'Edit')))))));
  }

  async function load() {
    try {
      const answer = await api.get('/config');
      if (disposed) return;
      entries = answer.items;
      message.replaceChildren();
      render();
    } catch (e) {
      if (!disposed) message.replaceChildren(h('p', {class: 'error-box', role: 'alert'}, `Could not read the configuration: ${e.message}`));
    }
  }

  root.append(
    h('div', {class: 'page-head'},
      h('div', {}, h('h1', {}, 'Config'), h('p', {class: 'subtitle'}, 'Runtime configuration: the keys under /config/ in the store.')),
      h('div', {class: 'actions'}, h('button', {type: 'button', onclick: () => load()}, 'Reload'))),
    message,
    h('div', {class: 'grid grid-main'},
      h('section', {class: 'card', 'aria-labelledby': 'config-list-title'}, h('h2', {id: 'config-list-title'}, 'Entries'), table),
      h('section', {class: 'card', 'aria-labelledby': 'config-add-title'},
        h('h2', {id: 'config-add-title'}, 'Add or replace a key'), addForm)));
  table.append(h('p', {class: 'loading'}, 'Loading…'));
  load();

  return {
    dispose() {
      disposed = true;
    },
    onEvent(event) {
      // Operator states live under /config/nodes/; while an entry is being edited the table stays as it is.
      if ((event.type === 'node' && ['cordoned', 'draining', 'uncordoned'].includes(event.kind)) || event.type === 'resync') {
        if (!editing) load();
      }
    },
  };
}
