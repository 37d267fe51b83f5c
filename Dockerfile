# One image for every service; the container's command picks which one runs.
#   docker build -t trellis-warehouse .
#   docker run -e TRELLIS_SERVICE=gateway … trellis-warehouse
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/platform/package.json packages/platform/
COPY packages/store/package.json packages/store/
COPY packages/tracker/package.json packages/tracker/
COPY apps/trellis/package.json apps/trellis/
COPY tools/generator/package.json tools/generator/
COPY services/gateway/package.json services/gateway/
COPY services/query/package.json services/query/
COPY services/cache/package.json services/cache/
COPY services/discovery/package.json services/discovery/
COPY services/ingest/package.json services/ingest/
COPY services/warden/package.json services/warden/
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production TRELLIS_HOST=0.0.0.0 TRELLIS_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# The browser tracker the gateway serves at /tracker.js (esbuild comes with tsx).
RUN node packages/tracker/build.mjs
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# TRELLIS_SERVICE = gateway | query | cache | discovery | ingest | warden; unset runs all in one process.
ENTRYPOINT ["sh", "-c", "if [ -n \"$TRELLIS_SERVICE\" ]; then exec node --import tsx --import ./services/$TRELLIS_SERVICE/src/telemetry.ts ./services/$TRELLIS_SERVICE/src/main.ts; else exec node --import tsx --import ./apps/trellis/src/telemetry.ts ./apps/trellis/src/main.ts start; fi"]
