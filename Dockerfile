# syntax=docker/dockerfile:1
#
# mlreview, the GitHub/GitLab bot:   docker build -t mlreview .
#                                     docker run --env-file .env -p 3000:3000 --stop-timeout 30 mlreview
# (README, "Deployment"). Three stages: build (TypeScript, dev dependencies), deps (production
# dependencies only, installed fresh), and the runtime image, which gets only node_modules, dist/,
# templates/ and the manifest.
#
# Node 22 (LTS): Node 20 reaches end of life in April 2026, and a dependency of Probot
# (content-type 3.1, through @octokit/request) already declares node >= 22. Debian bookworm slim:
# glibc, for sharp's prebuilt libvips and the git the bot fetches repositories with.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied. Neither esbuild nor sharp
# needs its install script: their binaries for this platform are npm optional dependencies.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY templates ./templates
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; --ignore-scripts again (no `prepare`, no build tools needed).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM node:22-bookworm-slim
# git (+ CA certificates for https) reads the repositories; DejaVu for text in plots (the bot also
# ships the font as an npm package); tini as PID 1 reaps the git and render-worker processes and
# forwards SIGTERM. npm and corepack are not needed at run time: removed, smaller and fewer CVEs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates fonts-dejavu-core git tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
 && mkdir -p /data/images \
 && chown -R 1000:1000 /data
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MLREVIEW_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY templates ./templates
COPY package.json app.yml ./
# The base image's unprivileged `node` user (uid 1000), numeric so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 3000
# Readiness: 200 when ready, 503 while shutting down (node, no curl in the image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# Validates the configuration (one line per problem, exit 1), serves, and on SIGTERM drains within 25 s.
CMD ["node", "dist/server.js"]
