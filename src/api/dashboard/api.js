// Calls to the tagtrail API with the operator's key. The key lives in localStorage only.
const KEY_ITEM = "tagtrail.key";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export function storedKey() {
  return localStorage.getItem(KEY_ITEM);
}

export function storeKey(key) {
  localStorage.setItem(KEY_ITEM, key.trim());
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: `Bearer ${storedKey() ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch {
      // not problem+json: keep the status text
    }
    throw new ApiError(response.status, String(detail));
  }
  return response.status === 204 ? null : response.json();
}

// The browser's EventSource cannot send headers: GET /v1/stream alone takes ?key=.
export function streamUrl(after) {
  const params = new URLSearchParams({ key: storedKey() ?? "" });
  if (after != null) params.set("after", String(after));
  return `/v1/stream?${params}`;
}
