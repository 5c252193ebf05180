# One image for the cache node and the operator:
#   docker run ringcache:dev              -> ringcache node (the default command)
#   docker run ringcache:dev operator     -> ringcache operator
# Build with scripts/docker/build-image.sh (it also makes the base image where no registry is reachable).
ARG BASE_IMAGE=node:20-bookworm-slim

# --- build: every dependency, compile TypeScript to dist/ ----------------------------------------
FROM ${BASE_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# Manifests first: the npm ci layer stays cached until the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
# The context holds only what the build needs (.dockerignore is an allow-list).
COPY . .
RUN npm run build

# --- prod-deps: runtime dependencies only; depends on the manifests alone, so it stays cached -----
FROM ${BASE_IMAGE} AS prod-deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# --- runtime --------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
# Listen on every interface inside the container (the node's own default is loopback only).
ENV NODE_ENV=production \
    RINGCACHE_HOST=0.0.0.0
WORKDIR /app
# Everything under /app belongs to root and is read-only to the process, and the node writes no
# files at all: it runs on a read-only root filesystem (test/e2e/image.test.ts checks both).
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 1000:1000
EXPOSE 8080
STOPSIGNAL SIGTERM
# Node itself probes: the runtime stage needs no curl or shell. The operator's port differs: set
# RINGCACHE_HEALTHCHECK_URL (Kubernetes ignores HEALTHCHECK and uses the pod's probes).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.RINGCACHE_HEALTHCHECK_URL||'http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Labels last: a new version or revision re-labels without re-copying any layer.
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE_URL=https://github.com/ringcache/ringcache
LABEL org.opencontainers.image.title="ringcache" \
      org.opencontainers.image.description="Distributed in-memory cache for Kubernetes: cache node and operator" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENTRYPOINT ["node", "/app/bin/ringcache.js"]
CMD ["node"]
