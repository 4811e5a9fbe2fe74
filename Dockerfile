# Nimbus in a container: `docker build -t nimbus .` then
# `docker run -p 4566:4566 -v nimbus-data:/data nimbus`, or `docker compose up`.
# Written without a Docker engine on the build machine: untested there (see README).
#
# Build stage: better-sqlite3 is a native module; when no prebuilt binary matches it compiles
# with node-gyp, which needs python3, make and g++. Only the build stage carries them.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY src ./src
# Compiles src/ only (bench/, test/ and scripts/ are not in the image); then drops dev
# dependencies. The @aws-sdk/* packages are runtime dependencies: Lambda handlers get them.
RUN npm run build && npm prune --omit=dev

# Runtime stage: Node 22 for Nimbus and nodejs* functions, python3 with boto3 (Debian's
# package) for python3.* functions, tini as PID 1 so that exited Lambda runtime processes are
# reaped and signals reach Nimbus.
FROM node:22-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-boto3 tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NIMBUS_HOST=0.0.0.0 \
    NIMBUS_PORT=4566 \
    NIMBUS_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/dist/src ./dist/src
# src/ ships next to dist/: the Lambda runtime clients (src/lambda/runtimes/*.mjs, *.py) are
# read from there.
COPY --from=build /app/src ./src
RUN mkdir -p /data && chown node:node /data
# The image's own unprivileged user (uid 1000).
USER node
VOLUME ["/data"]
EXPOSE 4566
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.NIMBUS_PORT || 4566) + '/_nimbus/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
