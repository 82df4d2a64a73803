# syntax=docker/dockerfile:1
# The registry's image, used by docker-compose.yml for the API and the projection worker alike.
# Stages: deps (all packages) → build (compiled JS) → test (sources and dev packages, for
# `npm run test:backends` inside the compose network) and runtime (production packages and dist only).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Compilers for native packages (better-sqlite3) in case no prebuilt binary fits this platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM build AS test
COPY tsconfig.test.json jest.config.js ./
COPY test ./test
ENV LOG_LEVEL=silent
CMD ["npm", "run", "test:backends"]

FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/app/data \
    PORT=3000
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# Node exits on SIGTERM through the app's shutdown hooks: requests drain, the projection lease is
# released, the stores are closed.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
