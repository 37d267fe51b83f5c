# One image for every service; TRELLIS_SERVICE picks which one runs. The image runs compiled
# JavaScript (scripts/build-dist.mjs), with no TypeScript transpiler at run time, as the
# unprivileged `node` user; every path it writes (/data, /tmp) is a volume, so the root
# filesystem can be read-only.
#   docker build -t trellis-warehouse .
#   docker run -e TRELLIS_SERVICE=gateway … trellis-warehouse
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
# The browser tracker the gateway serves at /tracker.js (esbuild comes with tsx) and the
# dashboard it serves at / (Vite), then the compiled tree (which carries both dist/ folders).
RUN npm ci --no-audit --no-fund && node packages/tracker/build.mjs && node apps/web/scripts/build.mjs --force \
  && node scripts/build-dist.mjs --out /dist

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/web/package.json apps/web/
COPY packages/bigquery/package.json packages/bigquery/
COPY packages/contracts/package.json packages/contracts/
COPY packages/platform/package.json packages/platform/
COPY packages/store/package.json packages/store/
COPY packages/tracker/package.json packages/tracker/
COPY packages/traffic-rules/package.json packages/traffic-rules/
COPY apps/trellis/package.json apps/trellis/
COPY tools/generator/package.json tools/generator/
COPY services/gateway/package.json services/gateway/
COPY services/query/package.json services/query/
COPY services/cache/package.json services/cache/
COPY services/discovery/package.json services/discovery/
COPY services/ingest/package.json services/ingest/
COPY services/warden/package.json services/warden/
COPY services/export/package.json services/export/
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production TRELLIS_HOST=0.0.0.0 TRELLIS_DATA_DIR=/data
WORKDIR /app
# node_modules (its workspace links point at ./packages, ./services, …) and the compiled tree,
# whose package.json files name the .js entry points (the browser tracker's dist/ included).
COPY --from=deps /app ./
COPY --from=build /dist ./
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# TRELLIS_SERVICE = gateway | query | cache | discovery | ingest | warden; unset runs all in one process.
# TRELLIS_NODE_FLAGS: flags for node itself, V8's included (which NODE_OPTIONS does not take);
# `npm run bench:ingest:node-flags` compares ingest's CPU under such flags.
ENTRYPOINT ["sh", "-c", "if [ -n \"$TRELLIS_SERVICE\" ]; then exec node $TRELLIS_NODE_FLAGS --enable-source-maps --import ./services/$TRELLIS_SERVICE/src/telemetry.js ./services/$TRELLIS_SERVICE/src/main.js; else exec node $TRELLIS_NODE_FLAGS --enable-source-maps --import ./apps/trellis/src/telemetry.js ./apps/trellis/src/main.js start; fi"]
