/**
 * The one rule for what the metrics endpoint is, the same for every adapter: a request whose
 * target names `path` once the framework's own normalisations are applied. Routers decode
 * percent-escapes (`/%6detrics`) and accept the absolute form (`GET http://host/metrics`, which
 * RFC 9112 requires servers to accept), so both spellings reach the endpoint; comparing the raw
 * target only would serve them without knowing it was the endpoint, and count them.
 */
export function isEndpointTarget(url: string, path: string): boolean {
  // The common case, allocation-free: the plain spelling, with or without a query.
  if (url.startsWith(path) && (url.length === path.length || url.charCodeAt(path.length) === 63)) return true;
  if (url.charCodeAt(0) === 47 && url.indexOf('%') < 0) return false;
  return endpointTargetPath(url) === path;
}

/** A request target's path as routers see it: origin of the absolute form dropped, query dropped, escapes decoded. */
export function endpointTargetPath(url: string): string {
  let path = url;
  if (path.charCodeAt(0) !== 47) {
    const origin = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(path);
    if (origin === null) return path;
    path = path.slice(origin[0].length);
    if (path === '' || path.charCodeAt(0) === 63) path = `/${path}`;
  }
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  if (path.indexOf('%') < 0) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    // Not valid percent-encoding: no router decodes it into the endpoint's path either.
    return path;
  }
}

/** The target to hand to a router that compares raw paths: the endpoint's plain spelling, query kept. */
export function canonicalEndpointUrl(url: string, path: string): string {
  const q = url.indexOf('?');
  return q < 0 ? path : path + url.slice(q);
}
