# syntax=docker/dockerfile:1.7
# Image of `auditor`: nightly compliance audit (ECS scheduled task).
# Build from the workspace root:
#   docker build -f docker/auditor.Dockerfile -t fcm-guard/auditor:$(git describe --tags --always) .

ARG RUST_VERSION=1.95
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

############################ builder ############################
FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS builder
# C toolchain and cmake for aws-lc-sys (TLS crypto of the AWS SDK and rustls).
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake clang pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# --locked: the committed Cargo.lock is what ships. Cache mounts keep rebuilds fast without
# leaking the registry or target directory into the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p auditor --bin auditor \
 && install -D -m 0755 target/release/auditor /out/auditor

############################ runtime ############################
# Distroless: glibc, CA certificates, tzdata; no shell, no package manager. Runs as uid 65532.
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="auditor" \
      org.opencontainers.image.description="fcm-guard auditor: nightly compliance audit (ECS scheduled task)" \
      org.opencontainers.image.source="https://github.com/fcm-guard/fcm-guard" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder --chown=0:0 /out/auditor /usr/local/bin/auditor
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/auditor"]
CMD ["--help"]
