/**
 * `durable dev` serves only this machine. Binding to 127.0.0.1 keeps other hosts out; checking
 * Host and Origin keeps out web pages that reach it through DNS rebinding or cross-site requests.
 */
const LOCAL_HOSTNAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith("[")) return hostHeader.slice(0, hostHeader.indexOf("]") + 1);
  const colon = hostHeader.lastIndexOf(":");
  return (colon === -1 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
}

/** A reason to refuse the request, or undefined when it comes from this machine. */
export function refuseNonLocal(request: Request, port: number): string | undefined {
  const host = request.headers.get("host");
  if (!host) return "missing Host header";
  const hostPort = host.startsWith("[") ? host.slice(host.indexOf("]") + 2) : host.split(":")[1];
  if (!LOCAL_HOSTNAMES.has(hostnameOf(host)) || (hostPort !== undefined && hostPort !== String(port))) {
    return `Host ${JSON.stringify(host)} is not this dev server`;
  }
  const origin = request.headers.get("origin");
  if (origin !== null) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return `Origin ${JSON.stringify(origin)} is not a URL`;
    }
    if (
      !LOCAL_HOSTNAMES.has(url.hostname.toLowerCase().replace(/^::1$/, "[::1]")) ||
      url.port !== String(port)
    ) {
      return `Origin ${JSON.stringify(origin)} is not this dev server`;
    }
  }
  return undefined;
}
