// Submit a job: a form for an ms-swift fine-tune, or the raw JSON or YAML document. The API validates (it is the
// one place the rules live, docs/api.md); each problem it reports names a field by its JSON path
// (resources.gpus, datasets[1]), and is shown next to that field.

import {ApiError, api} from '../api.js';
import {h} from '../dom.js';

const SECTIONS = [
  {title: 'Job', fields: [
    {path: 'name', label: 'Name', hint: 'lower-case letters, digits and -, e.g. qwen-lora', placeholder: 'qwen-lora', required: true},
    {path: 'priority', label: 'Priority', number: true, hint: '0 to 1000, higher is placed first (default 50)', placeholder: '50'},
    {path: 'maxRetries', label: 'Max retries', number: true, hint: 'requeues after losing a node, 0 to 100 (default 3)', placeholder: '3'},
    {path: 'labels', label: 'Labels', textarea: true, hint: 'key=value, one per line', placeholder: 'team=nlp'},
  ]},
  {title: 'Training (ms-swift)', fields: [
    {path: 'model', label: 'Model', hint: 'a model id or path', placeholder: 'Qwen/Qwen2.5-7B-Instruct', wide: true},
    {path: 'datasets', label: 'Datasets', textarea: true, hint: 'one per line; id#count takes a sample', placeholder: 'AI-ModelScope/alpaca-gpt4-data-en#500'},
    {path: 'trainType', label: 'Train type', options: ['lora', 'qlora', 'full'], hint: 'LoRA, QLoRA or full fine-tuning'},
  ]},
  {title: 'Resources', three: true, fields: [
    {path: 'resources.gpus', label: 'GPUs', number: true, hint: '0 to 64 (default 1)', placeholder: '1'},
    {path: 'resources.gpuModel', label: 'GPU model', hint: 'part of the GPU name, e.g. H100; empty: any', placeholder: 'H100'},
    {path: 'resources.minGpuMemoryGiB', label: 'Min GPU memory (GiB)', number: true, hint: 'per GPU; empty: any', placeholder: '40'},
  ]},
  {title: 'Hyper-parameters', three: true, hint: 'Empty fields keep ms-swift\'s defaults.', fields: [
    {path: 'hyperparameters.epochs', label: 'Epochs', number: true, placeholder: '1'},
    {path: 'hyperparameters.learningRate', label: 'Learning rate', number: true, placeholder: '1e-4'},
    {path: 'hyperparameters.batchSize', label: 'Batch size', number: true, placeholder: '1'},
    {path: 'hyperparameters.gradientAccumulationSteps', label: 'Gradient accumulation', number: true, placeholder: '16'},
    {path: 'hyperparameters.loraRank', label: 'LoRA rank', number: true, placeholder: '8'},
    {path: 'hyperparameters.loraAlpha', label: 'LoRA alpha', number: true, placeholder: '32'},
    {path: 'hyperparameters.maxLength', label: 'Max length', number: true, placeholder: '2048'},
    {path: 'hyperparameters.warmupRatio', label: 'Warm-up ratio', number: true, placeholder: '0.05'},
    {path: 'hyperparameters.saveSteps', label: 'Save every (steps)', number: true},
    {path: 'hyperparameters.evalSteps', label: 'Evaluate every (steps)', number: true},
  ]},
];
const FIELDS = SECTIONS.flatMap(s => s.fields);

const EXAMPLE = {
  name: 'qwen-lora', priority: '50', maxRetries: '3', labels: 'team=nlp',
  model: 'Qwen/Qwen2.5-7B-Instruct', datasets: 'AI-ModelScope/alpaca-gpt4-data-en#500', trainType: 'lora',
  'resources.gpus': '1', 'resources.gpuModel': 'H100', 'resources.minGpuMemoryGiB': '40',
  'hyperparameters.epochs': '1', 'hyperparameters.learningRate': '1e-4', 'hyperparameters.batchSize': '1', 'hyperparameters.loraRank': '8',
};

const fieldId = path => `f-${path.replace(/\./g, '-')}`;

/** A number when the text is one; otherwise the text itself, so the API says what is wrong with it. */
function numeric(text) {
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : text;
}

function setPath(target, path, value) {
  const parts = path.split('.');
  let at = target;
  for (const part of parts.slice(0, -1)) at = at[part] = at[part] || {};
  at[parts[parts.length - 1]] = value;
}

/** The field an API error names: itself, or the nearest field above it (datasets[2] → datasets, labels.x → labels). */
function fieldFor(path, known) {
  let p = (path || '').replace(/\[\d+\]/g, '');
  while (p) {
    if (known.has(p)) return p;
    p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '';
  }
  return null;
}

export function mount(root, {navigate}) {
  const inputs = new Map();
  const errors = new Map();
  const summary = h('div', {id: 'form-errors', tabindex: -1});
  const preview = h('pre', {class: 'config-value', id: 'request-preview', 'aria-live': 'off'});

  function control(f) {
    const id = fieldId(f.path);
    const attrs = {id, name: f.path, 'data-path': f.path, placeholder: f.placeholder || '', autocomplete: 'off',
      'aria-describedby': `${id}-hint ${id}-error`, required: f.required};
    let input;
    if (f.options) input = h('select', attrs, f.options.map(o => h('option', {value: o}, o)));
    else if (f.textarea) input = h('textarea', {...attrs, rows: 3});
    else input = h('input', {...attrs, type: 'text', inputmode: f.number ? 'decimal' : null, spellcheck: 'false'});
    input.addEventListener('input', () => {
      clearError(f.path);
      updatePreview();
    });
    inputs.set(f.path, input);
    const error = h('p', {class: 'field-error', id: `${id}-error`, hidden: true});
    errors.set(f.path, error);
    return h('div', {class: ['field', f.wide || f.textarea ? 'wide' : null], 'data-field': f.path},
      h('label', {for: id}, f.label, f.required ? h('span', {class: 'muted'}, ' (required)') : null),
      input,
      h('p', {class: 'hint', id: `${id}-hint`}, f.hint || ''),
      error);
  }

  function clearError(path) {
    const input = inputs.get(path);
    input.removeAttribute('aria-invalid');
    errors.get(path).hidden = true;
  }

  function clearErrors() {
    for (const path of inputs.keys()) clearError(path);
    summary.replaceChildren();
    rawErrors.replaceChildren();
  }

  /** The job document the form describes; throws {path, message} for what the form itself can tell is malformed. */
  function spec() {
    const doc = {};
    for (const f of FIELDS) {
      const raw = inputs.get(f.path).value.trim();
      if (raw === '') continue;
      if (f.path === 'datasets') setPath(doc, f.path, raw.split('\n').map(l => l.trim()).filter(Boolean));
      else if (f.path === 'labels') {
        const labels = {};
        for (const line of raw.split('\n').map(l => l.trim()).filter(Boolean)) {
          const eq = line.indexOf('=');
          if (eq <= 0) throw {path: 'labels', message: `each line is key=value, not '${line}'`};
          labels[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
        }
        doc.labels = labels;
      } else setPath(doc, f.path, f.number ? numeric(raw) : raw);
    }
    return doc;
  }

  function updatePreview() {
    try {
      preview.textContent = JSON.stringify(spec(), null, 2);
    } catch (e) {
      preview.textContent = `(${e.path}: ${e.message})`;
    }
  }

  function showErrors(error, fieldProblems) {
    const unplaced = [];
    let first = null;
    for (const problem of fieldProblems) {
      const path = fieldFor(problem.field, inputs);
      if (!path) {
        unplaced.push(problem);
        continue;
      }
      const input = inputs.get(path);
      input.setAttribute('aria-invalid', 'true');
      const el = errors.get(path);
      const prefix = problem.field !== path ? `${problem.field}: ` : '';
      el.textContent = el.hidden ? `${prefix}${problem.message}` : `${el.textContent}; ${prefix}${problem.message}`;
      el.hidden = false;
      first = first || input;
    }
    summary.replaceChildren(h('div', {class: 'error-box', role: 'alert'},
      h('b', {}, 'The job was not submitted. '), error,
      unplaced.length ? h('ul', {}, unplaced.map(p => h('li', {}, p.field ? `${p.field}: ${p.message}` : p.message))) : null));
    (first || summary).focus();
  }

  async function send(body, contentType, button, onError) {
    button.disabled = true;
    try {
      const task = await api.post('/jobs', body, contentType);
      navigate(`#/jobs/${encodeURIComponent(task.id)}`);
    } catch (e) {
      onError(e instanceof ApiError ? e : new ApiError(0, {error: e.message}));
    } finally {
      button.disabled = false;
    }
  }

  // ---- the form ----

  const submitButton = h('button', {type: 'submit', class: 'primary', id: 'submit-job', 'data-needs': 'submitter'}, 'Submit job');
  const form = h('form', {novalidate: true, id: 'job-form', 'aria-label': 'Job'},
    SECTIONS.map(s => h('fieldset', {},
      h('legend', {}, s.title),
      s.hint ? h('p', {class: 'hint muted small', style: {marginTop: 0}}, s.hint) : null,
      h('div', {class: ['fields', s.three ? 'three' : null]}, s.fields.map(control)))),
    h('div', {class: 'form-actions'}, submitButton,
      h('button', {type: 'button', onclick: () => {
        for (const [path, input] of inputs) input.value = EXAMPLE[path] ?? (input.tagName === 'SELECT' ? input.options[0].value : '');
        clearErrors();
        updatePreview();
      }}, 'Fill in an example'),
      h('button', {type: 'reset', onclick: () => setTimeout(() => {
        clearErrors();
        updatePreview();
      })}, 'Clear')));
  form.addEventListener('submit', e => {
    e.preventDefault();
    clearErrors();
    let doc;
    try {
      doc = spec();
    } catch (problem) {
      showErrors('The form has a problem.', [{field: problem.path, message: problem.message}]);
      return;
    }
    send(doc, 'application/json', submitButton, error => showErrors(error.message, error.fields));
  });

  // ---- the raw document ----

  const format = h('select', {id: 'raw-format', 'aria-label': 'Format'},
    h('option', {value: 'application/json'}, 'JSON'), h('option', {value: 'application/yaml'}, 'YAML'));
  const rawText = h('textarea', {id: 'raw-document', rows: 18, spellcheck: 'false', 'aria-describedby': 'raw-errors',
    placeholder: '{"name": "qwen-lora", "model": "Qwen/Qwen2.5-7B-Instruct", ...}'});
  const rawErrors = h('div', {id: 'raw-errors', tabindex: -1});
  const rawButton = h('button', {type: 'submit', class: 'primary', id: 'submit-raw'}, 'Submit job');
  const rawForm = h('form', {novalidate: true, id: 'raw-form', hidden: true, 'aria-label': 'Job document'},
    h('div', {class: 'field'}, h('label', {for: 'raw-document'}, 'The job as a document (docs/api.md, "The spec")'), rawText),
    h('div', {class: 'form-actions', style: {margin: '12px 0'}}, h('label', {for: 'raw-format'}, 'Format'), h('div', {style: {width: '120px'}}, format), rawButton),
    rawErrors);
  rawForm.addEventListener('submit', e => {
    e.preventDefault();
    rawErrors.replaceChildren();
    send(rawText.value, format.value, rawButton, error => {
      rawErrors.replaceChildren(h('div', {class: 'error-box', role: 'alert'}, h('b', {}, 'The job was not submitted. '), error.message,
        error.fields.length ? h('ul', {}, error.fields.map(p => h('li', {}, h('code', {}, p.field || '(document)'), `: ${p.message}`))) : null));
      rawErrors.focus();
    });
  });

  // ---- tabs ----

  const tabForm = h('button', {type: 'button', role: 'tab', id: 'tab-form', 'aria-selected': 'true', 'aria-controls': 'job-form'}, 'Form');
  const tabRaw = h('button', {type: 'button', role: 'tab', id: 'tab-raw', 'aria-selected': 'false', 'aria-controls': 'raw-form', tabindex: -1}, 'JSON or YAML');
  function select(raw) {
    tabForm.setAttribute('aria-selected', String(!raw));
    tabRaw.setAttribute('aria-selected', String(raw));
    tabForm.tabIndex = raw ? -1 : 0;
    tabRaw.tabIndex = raw ? 0 : -1;
    form.hidden = raw;
    rawForm.hidden = !raw;
    if (raw && !rawText.value.trim()) {
      try {
        const doc = spec();
        if (Object.keys(doc).length) rawText.value = JSON.stringify(doc, null, 2);
      } catch {
        // the form's problem is shown on the form
      }
    }
  }
  tabForm.addEventListener('click', () => select(false));
  tabRaw.addEventListener('click', () => select(true));
  for (const tab of [tabForm, tabRaw]) {
    tab.addEventListener('keydown', e => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const other = tab === tabForm ? tabRaw : tabForm;
        select(other === tabRaw);
        other.focus();
      }
    });
  }

  root.append(
    h('div', {class: 'page-head'}, h('div', {},
      h('h1', {}, 'Submit a job'),
      h('p', {class: 'subtitle'}, 'An ms-swift fine-tune. The job is accepted even when no node can run it yet; it then says why it waits.'))),
    h('div', {class: 'grid grid-main'},
      h('section', {class: 'card'},
        h('div', {class: 'tabs', role: 'tablist', 'aria-label': 'How to describe the job'}, tabForm, tabRaw),
        summary, form, rawForm),
      h('section', {class: 'card', 'aria-labelledby': 'preview-title'},
        h('h2', {id: 'preview-title'}, 'Request'),
        h('p', {class: 'muted small'}, 'What the form sends to POST /api/v1/jobs.'),
        preview)));
  updatePreview();
  inputs.get('name').focus();
  return {dispose() {}};
}
