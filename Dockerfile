# Container image of the KMS plugin: the same jlink image `./mvnw package` builds and tests, on a minimal base.
#   docker build -t registry.example.com/kms-plugin:0.1.0 .
# Run it as deploy/kms-plugin.yaml does: read-only root filesystem (the plugin writes only its socket), the socket
# directory mounted from the host and owned by UID 65532 (docs/operations.md).

# --- build: JDK 17 and softhsm2, which the AppCDS training run of the build serves with ---------------------------
FROM debian:12-slim AS build
RUN mkdir -p /usr/share/man/man1 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jdk-headless softhsm2 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Linked straight into its final path: the AppCDS archive records the module path it was trained with and is
# ignored (slower start, nothing worse) if the image moves.
RUN ./mvnw -B -DskipTests -Ddistribution.dir=/opt/kms-plugin package

# --- run: Debian slim, not distroless, because bin/kms-plugin is a POSIX sh script (the tested launcher; it sets
# the JVM flags and the CDS archive). The runtime needs only glibc, libstdc++, libgcc and zlib, all in the base. ----
FROM debian:12-slim
COPY --from=build /opt/kms-plugin /opt/kms-plugin
# No home, no shell login, no package files written at run time: the plugin only creates its socket.
USER 65532:65532
ENTRYPOINT ["/opt/kms-plugin/bin/kms-plugin"]
CMD ["--help"]
