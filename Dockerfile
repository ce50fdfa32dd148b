# Samovar's container image (docs/containers.md).
#
# Stages: deps (every npm dependency, scripts off) -> build (TypeScript compiled to dist/) and
# prod-deps (the same tree pruned to production dependencies) -> runtime (Node, dist/, production
# node_modules, config/defaults.json, public/; no TypeScript sources, no compiler, no npm cache).
# `load` is autocannon for the compose profile `load`; the default target is `runtime`.
#
# Why compile instead of running src/*.ts through Node's type stripping: the runtime image then
# carries neither sources nor devDependencies, and start-up skips stripping every module (twice:
# once in the primary, once per worker). dist/config/defaults.js finds config/defaults.json at
# ../../config/defaults.json, the same relative place as from src/config/.
#
# No `# syntax=` line and no heredocs: the image must build with the legacy builder and with a
# BuildKit that cannot fetch a frontend (CI builds it offline from a local base image).

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script to run here (the `node` devDependency's
# script would only download a second Node binary); it also keeps third-party code from running.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

FROM deps AS prod-deps
# prune leaves the emptied @scope folders behind; they go too.
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
    && find node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete

# docker compose --profile load: autocannon, from the devDependencies already installed above.
FROM deps AS load
USER node
ENTRYPOINT ["node", "/app/node_modules/autocannon/autocannon.js"]
CMD ["--help"]

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SAMOVAR_METRICS_HOST=0.0.0.0
WORKDIR /app
COPY package.json ./
COPY config/defaults.json ./config/defaults.json
COPY public ./public
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Files stay root-owned and read-only to the process: a compromised worker cannot rewrite the app.
USER node
EXPOSE 8080 9464
# The primary drains on SIGTERM (readyz 503, shutdown.drainDelayMs, drain up to shutdown.timeoutMs).
STOPSIGNAL SIGTERM
# Liveness through a worker (the main port), with Node's own fetch: the image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SAMOVAR_PORT||process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
# node itself, not npm: npm does not pass SIGTERM/SIGHUP on reliably and adds a process.
CMD ["node", "dist/main.js"]
