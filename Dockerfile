# Samovar's container image (docs/containers.md): the `samovar` command, serving the built-in demo
# or a user's application without rebuilding Samovar:
#   docker run --init -p 8080:8080 samovar                                  the demo
#   docker run --init -p 8080:8080 -v ./my-app:/srv/app:ro samovar /srv/app/app.ts
#   FROM samovar + the app's own dependencies + ENV SAMOVAR_APP_ENTRY (examples/hono/Dockerfile)
#
# Stages: deps (every npm dependency, scripts off) -> build (`npm run build`: dist/) and
# prod-deps (the same tree pruned to production dependencies) -> runtime (Node, dist/, production
# node_modules, config/defaults.json, public/: what the npm package ships, plus its
# dependencies; no TypeScript sources, no compiler, no npm cache).
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
COPY tsconfig.json tsconfig.build.json build-dist.ts ./
COPY src ./src
# The package's own build (tsc, then build-dist.ts), so the image and `npm pack` ship the same dist/.
RUN npm run build

FROM deps AS prod-deps
# prune leaves the emptied @scope folders behind; they go too.
# /node_modules/samovar -> /app: an application anywhere in the image (/srv/app, mounted or copied)
# that imports 'samovar' finds this very Samovar, since Node's lookup ends at /node_modules. Not a
# copy of its own: the engine checks `instanceof HttpError`, and a second copy's class would
# answer 500; nor a version that differs from the server running it.
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
    && find node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete \
    && mkdir /node_modules && ln -s /app /node_modules/samovar

# docker compose --profile load: autocannon, from the devDependencies already installed above.
FROM deps AS load
USER node
ENTRYPOINT ["node", "/app/node_modules/autocannon/autocannon.js"]
CMD ["--help"]

FROM ${NODE_IMAGE} AS runtime
# The control socket in /tmp: /app is read-only to the process (and the root file system too, in
# compose and Kubernetes, where /tmp is a tmpfs). `docker exec` inherits this, so
# `docker exec CONTAINER node /app/dist/cli.js status` finds it.
ENV NODE_ENV=production \
    SAMOVAR_METRICS_HOST=0.0.0.0 \
    SAMOVAR_CONTROL_SOCKET=/tmp/samovar.sock
WORKDIR /app
COPY package.json ./
COPY config/defaults.json ./config/defaults.json
COPY public ./public
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# A symbolic link, copied as one.
COPY --from=prod-deps /node_modules /node_modules
# Files stay root-owned and read-only to the process: a compromised worker cannot rewrite the app.
USER node
EXPOSE 8080 9464
# The primary drains on SIGTERM (readyz 503, shutdown.drainDelayMs, drain up to shutdown.timeoutMs).
STOPSIGNAL SIGTERM
# Liveness through a worker (the main port), with Node's own fetch: the image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SAMOVAR_PORT||process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
# node itself, not npm: npm does not pass SIGTERM/SIGHUP on reliably and adds a process.
# Arguments are the command's: ENTRY and flags (`docker run samovar /srv/app/app.ts --workers 4`);
# SAMOVAR_APP_ENTRY and the other SAMOVAR_* variables set the same fields. Entries are absolute
# paths: the working directory stays /app, where the demo finds public/.
ENTRYPOINT ["node", "/app/dist/cli.js"]
# Empty, not inherited: the base image's CMD ["node"] would become an entry named "node".
CMD []
