# syntax=docker/dockerfile:1.7
# Image of `log-shipper`: CloudTrail / CloudWatch Logs forwarding to Kinesis (ECS service).
# Build from the workspace root:
#   docker build -f docker/log-shipper.Dockerfile -t fcm-guard/log-shipper:$(git describe --tags --always) .

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
    cargo build --release --locked -p log-shipper --bin log-shipper \
 && install -D -m 0755 target/release/log-shipper /out/log-shipper

############################ runtime ############################
# Distroless: glibc, CA certificates, tzdata; no shell, no package manager. Runs as uid 65532.
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="log-shipper" \
      org.opencontainers.image.description="fcm-guard log-shipper: CloudTrail / CloudWatch Logs forwarding to Kinesis (ECS service)" \
      org.opencontainers.image.source="https://github.com/fcm-guard/fcm-guard" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder --chown=0:0 /out/log-shipper /usr/local/bin/log-shipper
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/log-shipper"]
CMD ["--help"]
