# syntax=docker/dockerfile:1
# Lectern: build with `docker build -t lectern .`, run with
#   docker run -d -p 3000:3000 -v lectern-data:/app/data -e BASE_URL=https://blog.example.org lectern
# and create the first admin with
#   docker exec -it <container> lectern user create --username admin --role admin

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript and better-sqlite3's native addon ----
FROM ${NODE_IMAGE} AS build
# node-gyp needs these when no prebuilt better-sqlite3 binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# Dependencies first, so editing the source does not reinstall them. --ignore-scripts skips
# `prepare` (the build, whose sources are not copied yet); better-sqlite3 is built explicitly.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts \
 && npm rebuild better-sqlite3 \
 && node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"

COPY tsconfig.json tsconfig.build.json ./
COPY server ./server
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts

# ---- runtime: only what `node dist/server/server.bundle.js` reads ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app

# Code stays owned by root (the server cannot rewrite itself); only the data volume is the
# `node` user's. Migrations are compiled into dist/ and run at start-up.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY views ./views
COPY static ./static
RUN mkdir -p /app/data \
 && chown node:node /app/data \
 && chmod 0750 /app/data \
 && chmod 0755 /app/bin/lectern.js \
 && ln -s /app/bin/lectern.js /usr/local/bin/lectern

USER node
VOLUME /app/data
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# server.ts handles SIGTERM itself (graceful close), so node can be PID 1.
# The V8 heap flags of package.json's config.node_flags (what `npm start` uses): the server stays
# under 250 MB under load (bench/README.md, "Memory"). Raise them for a bigger machine.
CMD ["node", "--max-old-space-size=192", "--max-semi-space-size=4", "dist/server/server.bundle.js"]
