// Calls to this service's own endpoints (same origin only: the page's
// Content-Security-Policy allows no other), with the token and language chosen.
// Every error comes back as the service's RFC 9457 problem document.

const PROBLEM_JSON = "application/problem+json";

/** An answer that was not 2xx: its status and its problem document. */
export class ProblemAnswer extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * A client whose calls carry `Authorization: Bearer <token>` when the token field is
 * filled, and `Accept-Language` when a language is chosen.
 */
export function serviceClient(tokenField, language) {
  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    const token = tokenField.value.trim();
    if (token) headers.Authorization = `Bearer ${token}`;
    const chosen = language();
    if (chosen) headers["Accept-Language"] = chosen;
    const options = { method, headers, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      throw new ProblemAnswer(0, {
        title: "The service did not answer",
        detail: `${method} ${path}: ${error.message}`,
        problems: [],
      });
    }
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (response.ok) return { data, language: response.headers.get("Content-Language") };
    const problem = type.startsWith(PROBLEM_JSON)
      ? data
      : { title: `HTTP ${response.status}`, detail: String(data).slice(0, 300), problems: [] };
    throw new ProblemAnswer(response.status, problem);
  }
  return {
    get: async (path) => (await call("GET", path)).data,
    post: async (path, body) => (await call("POST", path, body)).data,
    /** `[answer, its Content-Language]`: the language the service chose. */
    served: async (path) => {
      const { data, language } = await call("GET", path);
      return [data, language];
    },
  };
}
