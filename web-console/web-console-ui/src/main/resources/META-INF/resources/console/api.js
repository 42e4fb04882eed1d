// The REST API (/api/v1) as the console uses it. Every failure is an ApiError with the API's one error shape:
// {"error": "...", "fields": [{"field": "resources.gpus", "message": "..."}]}.

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.fields = (body && body.fields) || [];
  }
}

async function request(method, path, body, contentType) {
  const init = {method, headers: {Accept: 'application/json'}};
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = contentType || 'application/json';
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch (e) {
    throw new ApiError(0, {error: `the server did not answer (${e.message})`});
  }
  if (!response.ok) {
    let error;
    try {
      error = await response.json();
    } catch {
      error = {error: `HTTP ${response.status} ${response.statusText}`};
    }
    // A token revoked or expired meanwhile: the shell shows the sign-in page (not for the sign-in request itself).
    if (response.status === 401 && path !== '/session') window.dispatchEvent(new Event('gantry:unauthorized'));
    throw new ApiError(response.status, error);
  }
  return response.status === 204 ? null : response.json();
}

export const api = {
  get: path => request('GET', path),
  post: (path, body, contentType) => request('POST', path, body, contentType),
  put: (path, body, contentType) => request('PUT', path, body, contentType),
};

/** A query string from an object, leaving out empty values; arrays repeat the parameter. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) q.append(key, v);
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}
