// The bare Worker ceiling: requests per second on a route that does not touch the database, via wrangler dev.
import autocannon from "autocannon";

export interface ThroughputResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export async function benchWorker(
  url: string,
  options: { seconds: number; connections: number },
): Promise<ThroughputResult> {
  const result = await autocannon({ url, connections: options.connections, duration: options.seconds });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
