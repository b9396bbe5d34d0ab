# syntax=docker/dockerfile:1
#
# bincio: one static-ish binary on Debian slim, run as a non-root user.
#
#   docker build -t bincio .
#   docker run -d -p 4041:4041 -v bincio-data:/var/lib/bincio bincio
#
# Nothing instance-specific is baked in: the data directory
# (/var/lib/bincio) is a volume, the event directory (event.toml and its
# CCIP files) and bincio.toml are mounted (read-only) at run time, secrets
# come from files (`*_file` keys of bincio.toml). See docs/deploy.md.

# The toolchain the workspace is built and tested with (the locked
# dependencies need >= 1.89: rusqlite 0.41, uuid 1.29).
ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# ---- build ---------------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# Everything the workspace needs to build (the .dockerignore keeps target/,
# data and secrets out of the context).
COPY . .
# Cache the registry and the target dir between builds; the binary is
# copied out of the cache mount in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p bincio-cli \
 && install -D -m 0755 target/release/bincio /out/bincio

# ---- runtime -------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: TLS to MongoDB (mongodb+srv), a DEM service, OAuth
# providers. tini: PID 1 that forwards SIGTERM and reaps children.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 bincio \
 && useradd --system --uid 10001 --gid bincio --no-create-home \
      --home-dir /var/lib/bincio --shell /usr/sbin/nologin bincio \
 && install -d -m 0700 -o bincio -g bincio /var/lib/bincio \
 && install -d -m 0755 /etc/bincio
COPY --from=build /out/bincio /usr/local/bin/bincio

USER 10001:10001
ENV BINCIO_DATA_DIR=/var/lib/bincio \
    BINCIO_LOG=info
VOLUME ["/var/lib/bincio"]
EXPOSE 4041

# `bincio probe` is a plain-HTTP GET that exits 0 on 2xx (no curl needed).
# /readyz: the store answers within 3 s with a current schema. If you change
# the listening port, override the health check too (compose.yml does).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["bincio", "probe", "--timeout", "8", "http://127.0.0.1:4041/readyz"]

ENTRYPOINT ["/usr/bin/tini", "--", "bincio"]
# Listen on every interface of the container (the default 127.0.0.1 is
# unreachable from outside it). A flag wins over bincio.toml, so set the
# address here, not in the file. Mount a config and point BINCIO_CONFIG at
# it for the rest (compose.yml does).
CMD ["serve", "--bind", "0.0.0.0:4041"]
