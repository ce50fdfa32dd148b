/**
 * The handshake rows of `npm run load:compare -- --tls`: `openssl s_time`, which opens one TLS
 * connection at a time, sends `GET / HTTP/1.0`, reads the answer to the server's close and starts
 * over — `-new` with a full handshake each time, `-reuse` offering the session (TLS 1.3 ticket)
 * that its first connection received, so every later one is a resumed handshake. One s_time keeps
 * a server idle between round trips, so `clients` of them run side by side (one shell, one process
 * group, pinned with the caller's prefix). Each prints a character per connection (`r`: resumed,
 * `*`: full), so the share of resumed handshakes is counted, not assumed.
 * Must not: judge results or start servers.
 */
export const S_TIME_MARK = 'S_TIME_FAILED ';

export interface STimeSpec {
  readonly port: number;
  readonly clients: number;
  readonly durationS: number;
  readonly mode: 'new' | 'reuse';
}

/** A shell line that runs `clients` s_time side by side and reports how many exited non-zero. */
export function sTimeArgv(spec: STimeSpec, pinPrefix: readonly string[]): string[] {
  const one =
    `openssl s_time -connect 127.0.0.1:${spec.port} -${spec.mode} -time ${spec.durationS} ` +
    `-www / </dev/null`;
  const script =
    `pids=''; i=0; while [ $i -lt ${spec.clients} ]; do ${one} & pids="$pids $!"; i=$((i+1)); done; ` +
    `failed=0; for p in $pids; do wait $p || failed=$((failed+1)); done; echo "${S_TIME_MARK}$failed"`;
  return [...pinPrefix, 'sh', '-c', script];
}

export interface STimeResult {
  /** Connections completed (each one handshake and one request), summed over the clients. */
  readonly connections: number;
  readonly resumed: number;
  readonly full: number;
  readonly failedClients: number;
  /** Bytes read per connection, per client (equal across peers when each answered the same). */
  readonly bytesPerConnection: readonly number[];
}

/** Sums the clients' summaries (`N connections in T real seconds, …`) and connection marks. */
export function parseSTime(lines: readonly string[]): STimeResult {
  let connections = 0;
  let resumed = 0;
  let full = 0;
  let failedClients = 0;
  const bytesPerConnection: number[] = [];
  for (const line of lines) {
    const summary = /^(\d+) connections in \d+ real seconds, (\d+) bytes read per connection/.exec(line);
    if (summary) {
      connections += Number(summary[1]);
      bytesPerConnection.push(Number(summary[2]));
    } else if (line.startsWith(S_TIME_MARK)) failedClients = Number(line.slice(S_TIME_MARK.length));
    else if (/^[r*t3]+$/.test(line)) {
      for (const ch of line) {
        if (ch === 'r') resumed += 1;
        else full += 1;
      }
    }
  }
  return { connections, resumed, full, failedClients, bytesPerConnection };
}
